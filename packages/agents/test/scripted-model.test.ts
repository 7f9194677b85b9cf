import { describe, expect, it } from 'vitest';
import { startScriptedModel } from '../src/testing/index.js';

const tools = [{ name: 'Write', input_schema: {} }];
async function post(url: string, body: unknown) {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('startScriptedModel', () => {
  it('streams a scripted tool call as Anthropic SSE events, input split into input_json_delta chunks', async () => {
    await using model = await startScriptedModel([
      {
        content: [
          { type: 'tool_use', name: 'Write', input: { file_path: '/x', content: 'hello world, long enough to split' } },
        ],
      },
    ]);
    const res = await post(model.url, { model: 'm', stream: true, tools, messages: [{ role: 'user', content: 'hi' }] });
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const text = await res.text();
    const events = text
      .split('\n\n')
      .filter(Boolean)
      .map((block) => JSON.parse(block.split('\n')[1]!.slice(6)));
    expect(events.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...events.filter((e) => e.type === 'content_block_delta').map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const json = events
      .filter((e) => e.delta?.type === 'input_json_delta')
      .map((e) => e.delta.partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ file_path: '/x', content: 'hello world, long enough to split' });
    expect(events.find((e) => e.type === 'message_delta').delta.stop_reason).toBe('tool_use');
    expect(model.requests).toHaveLength(1);
  });

  it('answers side requests without tools (and non-streamed ones) without consuming the script', async () => {
    await using model = await startScriptedModel([{ content: [{ type: 'text', text: 'scripted' }] }]);
    const side: any = await (await post(model.url, { model: 'haiku', messages: [] })).json();
    expect(side.content).toEqual([{ type: 'text', text: 'ok' }]);
    const main = await (await post(model.url, { model: 'm', tools, messages: [] })).json();
    expect(main).toMatchObject({
      type: 'message',
      content: [{ type: 'text', text: 'scripted' }],
      stop_reason: 'end_turn',
    });
    const after: any = await (await post(model.url, { model: 'm', tools, messages: [] })).json();
    expect(after.content[0].text).toBe('(script exhausted)');
    expect(model.requests.map((r) => r.scripted)).toEqual([false, true, true]);
  });

  it('counts tokens, rejects bad JSON and unknown paths', async () => {
    await using model = await startScriptedModel([]);
    const count = await fetch(`${model.url}/v1/messages/count_tokens`, { method: 'POST', body: '{"messages":[]}' });
    expect(((await count.json()) as any).input_tokens).toBeGreaterThan(0);
    expect((await fetch(`${model.url}/v1/messages`, { method: 'POST', body: '{nope' })).status).toBe(400);
    expect((await fetch(`${model.url}/v2/other`)).status).toBe(404);
  });
});
