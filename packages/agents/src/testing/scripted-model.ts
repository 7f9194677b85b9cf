import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One content block the scripted model answers with. */
export type ScriptedBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; name: string; input: Record<string, unknown>; id?: string };

/** One model reply. `stopReason` defaults to `tool_use` when a block calls a tool, else `end_turn`. */
export interface ScriptedReply {
  content: ScriptedBlock[];
  stopReason?: 'end_turn' | 'tool_use' | 'max_tokens';
  /** Wait this long before answering (simulates a slow model). @default 0 */
  delayMs?: number;
  /** Answer with this HTTP status and an Anthropic error body instead (e.g. 401, 429, 529). */
  errorStatus?: number;
}

/** A request the scripted model received (main-loop and side requests alike). */
export interface RecordedRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, any>;
  /** Whether this request consumed a step of the script. */
  scripted: boolean;
}

export type ModelScript = ScriptedReply[] | ((request: RecordedRequest, index: number) => ScriptedReply);

export interface ScriptedModelOptions {
  /**
   * Which requests consume the script. Claude Code also makes side requests (titles, summaries,
   * quota checks) without tools; those get a short text reply and leave the script alone.
   * @default requests whose body carries a non-empty `tools` array
   */
  isScripted?: (request: RecordedRequest) => boolean;
  /** Reply used once the script is exhausted. @default text "(script exhausted)" */
  fallback?: ScriptedReply;
  /** Text chunk size for `text_delta` events. @default 16 */
  chunkSize?: number;
}

export interface ScriptedModel extends AsyncDisposable {
  /** Base URL for `ANTHROPIC_BASE_URL`, e.g. `http://127.0.0.1:40123`. */
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts a local HTTP server that answers from a script, speaking the Anthropic Messages API
 * (`POST /v1/messages`, streamed SSE or plain JSON, and `/v1/messages/count_tokens`) for Claude Code, and the
 * OpenAI Responses API (`POST /v1/responses`, streamed SSE) for Codex. Point a real `claude` at it with
 * `ANTHROPIC_BASE_URL=<url>` (see `claudeCodeOfflineEnv`), a real `codex` with `codexOfflineEnv`.
 * For Codex, a `tool_use` block becomes a `function_call` (Codex's shell tool is `exec_command` with `{ cmd }`).
 */
export async function startScriptedModel(
  script: ModelScript,
  options: ScriptedModelOptions = {},
): Promise<ScriptedModel> {
  const requests: RecordedRequest[] = [];
  const isScripted =
    options.isScripted ?? ((r: RecordedRequest) => Array.isArray(r.body.tools) && r.body.tools.length > 0);
  const fallback: ScriptedReply = options.fallback ?? { content: [{ type: 'text', text: '(script exhausted)' }] };
  const chunkSize = options.chunkSize ?? 16;
  let step = 0;

  const server = createServer((req, res) => {
    void handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    let body: Record<string, any> = {};
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    } catch {
      return sendJson(res, 400, { type: 'error', error: { type: 'invalid_request_error', message: 'invalid JSON' } });
    }
    if (req.method === 'POST' && path.endsWith('/v1/messages/count_tokens')) {
      return sendJson(res, 200, { input_tokens: Math.ceil(JSON.stringify(body).length / 4) });
    }
    const isResponses = req.method === 'POST' && path.endsWith('/responses');
    if (req.method !== 'POST' || (!path.endsWith('/v1/messages') && !isResponses)) {
      return sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `no route ${path}` } });
    }
    const recorded: RecordedRequest = { path, headers: req.headers, body, scripted: false };
    recorded.scripted = isScripted(recorded);
    requests.push(recorded);
    let reply: ScriptedReply;
    if (!recorded.scripted) {
      reply = { content: [{ type: 'text', text: 'ok' }] };
    } else if (typeof script === 'function') {
      reply = script(recorded, step++);
    } else {
      reply = script[step++] ?? fallback;
    }
    if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
    if (reply.errorStatus) {
      return sendJson(res, reply.errorStatus, {
        type: 'error',
        error: { type: reply.errorStatus === 401 ? 'authentication_error' : 'api_error', message: 'scripted error' },
      });
    }
    if (isResponses) return sendResponses(res, reply, body, chunkSize);
    const model = typeof body.model === 'string' ? body.model : 'claude-scripted';
    const blocks = reply.content.map((b) =>
      b.type === 'tool_use' ? { ...b, id: b.id ?? `toolu_${randomUUID().replace(/-/g, '').slice(0, 24)}` } : b,
    );
    const stopReason = reply.stopReason ?? (blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn');
    const messageId = `msg_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
    const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

    if (body.stream !== true) {
      const content = blocks.map((b) =>
        b.type === 'text'
          ? { type: 'text', text: b.text }
          : { type: 'tool_use', id: b.id, name: b.name, input: b.input },
      );
      return sendJson(res, 200, {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      });
    }

    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      'request-id': `req_${messageId}`,
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: {
        id: messageId,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    });
    blocks.forEach((block, index) => {
      if (block.type === 'text') {
        send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
        for (let i = 0; i < block.text.length; i += chunkSize) {
          send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'text_delta', text: block.text.slice(i, i + chunkSize) },
          });
        }
      } else {
        send('content_block_start', {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        });
        const json = JSON.stringify(block.input);
        for (let i = 0; i < json.length; i += chunkSize) {
          send('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: json.slice(i, i + chunkSize) },
          });
        }
      }
      send('content_block_stop', { type: 'content_block_stop', index });
    });
    send('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 5 },
    });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return { url: `http://127.0.0.1:${port}`, requests, close, [Symbol.asyncDispose]: close };
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

/** OpenAI Responses API streaming (what `codex exec` speaks with a `wire_api = "responses"` provider). */
function sendResponses(res: ServerResponse, reply: ScriptedReply, body: Record<string, any>, chunkSize: number) {
  const id = `resp_${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const model = typeof body.model === 'string' ? body.model : 'gpt-scripted';
  const items = reply.content.map((block) =>
    block.type === 'text'
      ? {
          type: 'message',
          id: `msg_${randomUUID().slice(0, 8)}`,
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: block.text, annotations: [] }],
        }
      : {
          type: 'function_call',
          id: `fc_${randomUUID().slice(0, 8)}`,
          call_id: block.id ?? `call_${randomUUID().slice(0, 8)}`,
          name: block.name,
          arguments: JSON.stringify(block.input),
          status: 'completed',
        },
  );
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (data: Record<string, unknown>) => res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
  send({ type: 'response.created', response: { id, object: 'response', model, status: 'in_progress', output: [] } });
  items.forEach((item, index) => {
    if (item.type === 'message') {
      const text = (item.content as Array<{ text: string }>)[0]!.text;
      send({
        type: 'response.output_item.added',
        output_index: index,
        item: { ...item, status: 'in_progress', content: [] },
      });
      for (let i = 0; i < text.length; i += chunkSize) {
        send({
          type: 'response.output_text.delta',
          item_id: item.id,
          output_index: index,
          content_index: 0,
          delta: text.slice(i, i + chunkSize),
        });
      }
    } else {
      send({ type: 'response.output_item.added', output_index: index, item: { ...item, status: 'in_progress' } });
    }
    send({ type: 'response.output_item.done', output_index: index, item });
  });
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  };
  send({
    type: 'response.completed',
    response: { id, object: 'response', model, status: 'completed', output: items, usage },
  });
  res.end();
}
