import { randomUUID } from 'node:crypto';
import type { StdioProtocol } from './agent-process.js';
import { createApprovalBook, type RequestEvent } from './approval-book.js';
import type { ApprovalChannel } from './approval-bridge.js';
import { codexItemEvents } from './parsers/codex.js';
import { isRecord } from './parsers/util.js';
import type { AgentEvent, ApprovalDecision, LineParser } from './types.js';

/** One item of `turn/start`'s `input` (the app-server's `UserInput`, the kinds Band sends). */
export type CodexUserInput = { type: 'text'; text: string; text_elements: [] } | { type: 'localImage'; path: string };

export interface CodexAppServerOptions {
  cwd: string;
  /** The turn's input: the prompt (with the paths of attached files) and the attached images. */
  input: CodexUserInput[];
  /** Resume this thread (`thread/resume`) instead of starting one (`thread/start`). */
  sessionId?: string;
  model?: string;
  /** Codex sandbox: `read-only`, `workspace-write` or `danger-full-access` (others are left to Codex's config). */
  sandbox?: string;
  /**
   * Ask before commands and patches (approval policy `untrusted`): each `item/commandExecution/requestApproval` and
   * `item/fileChange/requestApproval` becomes an `approval-request`. Without it the policy is `never`, as in `codex
   * exec`.
   */
  approvals: boolean;
}

/** The client side of one `codex app-server` turn: a `LineParser` for its stdout, its stdin protocol, and its
 * approvals. */
export type CodexAppServer = LineParser & StdioProtocol & ApprovalChannel;

const SANDBOXES = new Set(['read-only', 'workspace-write', 'danger-full-access']);
/** JSON-RPC error code for a method the client does not implement. */
const METHOD_NOT_FOUND = -32601;

/** The app-server's camelCase `ThreadItem` in the `codex exec --json` item shape the exec parser reads. */
export function execItemOf(item: unknown): Record<string, unknown> | undefined {
  if (!isRecord(item) || typeof item.id !== 'string') return undefined;
  const status = (s: unknown) => (s === 'inProgress' ? 'in_progress' : s);
  switch (item.type) {
    case 'agentMessage':
      return { id: item.id, type: 'agent_message', text: item.text };
    case 'commandExecution':
      return {
        id: item.id,
        type: 'command_execution',
        command: item.command,
        aggregated_output: typeof item.aggregatedOutput === 'string' ? item.aggregatedOutput : '',
        exit_code: item.exitCode ?? null,
        status: status(item.status),
      };
    case 'fileChange':
      return {
        id: item.id,
        type: 'file_change',
        changes: Array.isArray(item.changes)
          ? item.changes.map((c: any) => ({
              path: c?.path,
              kind: isRecord(c?.kind) ? c.kind.type : c?.kind,
              ...(typeof c?.diff === 'string' ? { diff: c.diff } : {}),
            }))
          : [],
        status: status(item.status),
      };
    case 'mcpToolCall':
      return {
        id: item.id,
        type: 'mcp_tool_call',
        server: item.server,
        tool: item.tool,
        arguments: item.arguments,
        result: item.result,
        error: item.error,
        status: status(item.status),
      };
    case 'webSearch':
      return { id: item.id, type: 'web_search', query: item.query, action: item.action };
    case 'collabAgentToolCall':
      return {
        id: item.id,
        type: 'collab_tool_call',
        tool: item.tool,
        prompt: item.prompt,
        status: status(item.status),
      };
    default:
      return undefined; // userMessage (the prompt, a steered denial), reasoning, plan...: not shown, as with codex exec
  }
}

/**
 * Drives `codex app-server` (JSON-RPC 2.0 without the `jsonrpc` field, one message a line) for one turn:
 * `initialize` → `initialized` → `thread/start` (or `thread/resume`) → `turn/start`, then turns its notifications into
 * the same `AgentEvent`s as `codex exec --json` and its approval requests into `approval-request`s. Once the turn
 * completes, stdin is closed and the app-server exits.
 *
 * A denial's message has no field in Codex's approval answer: it is sent first as a `turn/steer` user message of
 * the running turn, so the model's next request carries it next to the declined call.
 */
export function createCodexAppServer(options: CodexAppServerOptions): CodexAppServer {
  let io: { send(line: string): void; end(): void } | undefined;
  let nextId = 1;
  const calls = new Map<number, { resolve: (result: any) => void; reject: (error: Error) => void }>();
  const startedTools = new Set<string>();
  /** Latest view of each item (a patch approval names only its item; the changes are on the item). */
  const items = new Map<string, Record<string, unknown>>();
  const book = createApprovalBook<{ event: RequestEvent; rpcId: unknown; method: string; turnId?: string }>(
    (entry, decision, answerOptions) => void answer(entry, decision, answerOptions.steer ?? true),
  );
  let threadId = options.sessionId;
  let turnId: string | undefined;
  let turns = 0;
  let lastError: string | undefined;
  let done = false;

  const emit = book.emit;
  const send = (message: Record<string, unknown>) => io?.send(JSON.stringify(message));

  function call(method: string, params: unknown): Promise<any> {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      send({ id, method, params });
    });
  }

  function finish(event: Extract<AgentEvent, { type: 'session-result' }>, error?: string) {
    if (done) return;
    done = true;
    if (error && error !== lastError) emit({ type: 'error', message: error });
    emit(event);
    io?.end(); // the app-server exits when its stdin closes
  }

  async function run() {
    try {
      await call('initialize', { clientInfo: { name: 'band', title: 'Band', version: '0' }, capabilities: null });
      send({ method: 'initialized' });
      const settings = {
        cwd: options.cwd,
        ...(options.model ? { model: options.model } : {}),
        ...(options.sandbox && SANDBOXES.has(options.sandbox) ? { sandbox: options.sandbox } : {}),
        approvalPolicy: options.approvals ? 'untrusted' : 'never',
      };
      const started = options.sessionId
        ? await call('thread/resume', { threadId: options.sessionId, ...settings, excludeTurns: true })
        : await call('thread/start', settings);
      const id = started?.thread?.id;
      if (typeof id !== 'string') throw new Error('thread/start answered without a thread id');
      threadId = id;
      emit({
        type: 'session-start',
        sessionId: id,
        ...(typeof started.model === 'string' ? { model: started.model } : {}),
        cwd: options.cwd,
      });
      const turn = await call('turn/start', { threadId: id, input: options.input });
      if (typeof turn?.turn?.id === 'string') turnId ??= turn.turn.id;
    } catch (error) {
      const message = (error as Error).message;
      finish(
        { type: 'session-result', status: 'failed', ...(threadId ? { sessionId: threadId } : {}), reason: message },
        message,
      );
    }
  }

  function onServerRequest(rpcId: unknown, method: string, params: Record<string, any>): AgentEvent[] {
    const command = method === 'item/commandExecution/requestApproval';
    const patch = method === 'item/fileChange/requestApproval';
    if (!command && !patch) {
      // Questions (`item/tool/requestUserInput`), MCP elicitations, extra permissions, legacy v1 approvals: not
      // offered.
      send({ id: rpcId, error: { code: METHOD_NOT_FOUND, message: `Band does not answer ${method}` } });
      return [];
    }
    if (!options.approvals || book.closedForNew) {
      send({ id: rpcId, result: { decision: 'decline' } });
      return [];
    }
    const itemId = typeof params.itemId === 'string' ? params.itemId : undefined;
    const reason = typeof params.reason === 'string' && params.reason ? { reason: params.reason } : {};
    const input = command
      ? {
          command: typeof params.command === 'string' ? params.command : '',
          ...(typeof params.cwd === 'string' ? { cwd: params.cwd } : {}),
          ...reason,
        }
      : {
          changes: (itemId && items.get(itemId)?.changes) || [],
          ...reason,
          ...(typeof params.grantRoot === 'string' ? { grantRoot: params.grantRoot } : {}),
        };
    const event: RequestEvent = {
      type: 'approval-request',
      requestId: randomUUID(),
      toolName: command ? 'Bash' : 'FileChange',
      input,
      ...(itemId ? { toolUseId: itemId } : {}),
      requestedAt: new Date().toISOString(),
    };
    book.add({
      event,
      rpcId,
      method,
      turnId: typeof params.turnId === 'string' ? params.turnId : turnId,
    });
    return [event];
  }

  async function answer(
    entry: { rpcId: unknown; turnId?: string; event: RequestEvent },
    decision: ApprovalDecision,
    steer: boolean,
  ) {
    if (decision.behavior === 'allow') {
      send({ id: entry.rpcId, result: { decision: decision.scope === 'always' ? 'acceptForSession' : 'accept' } });
      return;
    }
    if (steer && decision.message && threadId && entry.turnId) {
      const what =
        entry.event.toolName === 'Bash'
          ? `the command \`${(entry.event.input as { command?: string }).command}\``
          : 'the file changes';
      const text = `The user denied ${what}: ${decision.message}`;
      // Before the decline, so the message is queued when Codex samples the model again.
      await call('turn/steer', {
        threadId,
        expectedTurnId: entry.turnId,
        input: [{ type: 'text', text, text_elements: [] }],
      }).catch(() => {});
    }
    send({ id: entry.rpcId, result: { decision: 'decline' } });
  }

  function onNotification(method: string, params: Record<string, any>): AgentEvent[] {
    switch (method) {
      case 'turn/started':
        turns++;
        if (typeof params.turn?.id === 'string') turnId = params.turn.id;
        return [];
      case 'item/started':
      case 'item/completed': {
        const item = params.item;
        if (isRecord(item) && typeof item.id === 'string') items.set(item.id, execItemOf(item) ?? {});
        const exec = execItemOf(item);
        return exec ? codexItemEvents(exec, method === 'item/completed', startedTools) : [];
      }
      case 'error': {
        // Retries (`willRetry`) are Codex's business; a final error is reported once (turn/completed follows).
        const message = params.error?.message;
        if (params.willRetry || typeof message !== 'string') return [];
        lastError = message;
        return [{ type: 'error', message }];
      }
      case 'turn/completed': {
        const turn = params.turn ?? {};
        const numTurns = Math.max(turns, 1);
        const base = { type: 'session-result' as const, sessionId: threadId, numTurns };
        if (turn.status === 'completed') finish({ ...base, status: 'success' });
        else {
          const message =
            typeof turn.error?.message === 'string' ? turn.error.message : `turn ${turn.status ?? 'ended'}`;
          finish({ ...base, status: 'failed', reason: message }, message);
        }
        return [];
      }
      default:
        return []; // deltas, token usage, status changes, warnings...
    }
  }

  return {
    start(stdio) {
      io = stdio;
      void run();
    },
    parseLine(value) {
      if (!isRecord(value)) return [];
      const method = typeof value.method === 'string' ? value.method : undefined;
      if (!method) {
        // A response to one of our calls.
        const pending = typeof value.id === 'number' ? calls.get(value.id) : undefined;
        if (!pending) return [];
        calls.delete(value.id as number);
        if (isRecord(value.error)) pending.reject(new Error(String(value.error.message ?? 'app-server error')));
        else pending.resolve(value.result);
        return [];
      }
      const params = isRecord(value.params) ? value.params : {};
      if ('id' in value) return onServerRequest(value.id, method, params);
      // The turn's own events are sent by finish() (after what was already parsed on this line).
      return onNotification(method, params);
    },
    ...book.channel(),
  };
}
