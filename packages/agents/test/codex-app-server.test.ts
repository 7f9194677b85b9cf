import { describe, expect, it, vi } from 'vitest';
import { type AgentEvent, createCodexAppServer, execItemOf } from '../src/index.js';

// The JSON-RPC client alone, against a scripted app-server: what a real Codex cannot be made to do on demand.
function harness(options: { approvals?: boolean; sessionId?: string } = {}) {
  const sent: Array<Record<string, any>> = [];
  const events: AgentEvent[] = [];
  let ended = false;
  const client = createCodexAppServer({
    cwd: '/w',
    input: [{ type: 'text', text: 'hi', text_elements: [] }],
    approvals: options.approvals ?? true,
    sessionId: options.sessionId,
  });
  client.attach((e) => events.push(e));
  client.start({ send: (line) => sent.push(JSON.parse(line)), end: () => (ended = true) });
  const feed = (value: unknown) => {
    for (const e of client.parseLine(value)) events.push(e);
  };
  /** Answers our calls until the turn has started. */
  const handshake = async () => {
    feed({ id: 1, result: {} });
    await vi.waitFor(() => expect(sent.find((m) => m.id === 2)).toBeTruthy());
    feed({ id: 2, result: { thread: { id: 'th_1' }, model: 'gpt-x' } });
    await vi.waitFor(() => expect(sent.find((m) => m.id === 3)).toBeTruthy());
    feed({ id: 3, result: { turn: { id: 'turn_1' } } });
    feed({ method: 'turn/started', params: { threadId: 'th_1', turn: { id: 'turn_1' } } });
  };
  return { client, sent, events, feed, handshake, ended: () => ended };
}

const commandRequest = (id: number) => ({
  id,
  method: 'item/commandExecution/requestApproval',
  params: {
    threadId: 'th_1',
    turnId: 'turn_1',
    itemId: `call_${id}`,
    command: "/bin/bash -lc 'rm -rf build'",
    cwd: '/w',
  },
});

describe('createCodexAppServer', () => {
  it('a thread that cannot start is a failed result with the reason, and stdin is closed', async () => {
    const h = harness();
    h.feed({ id: 1, result: {} });
    await vi.waitFor(() => expect(h.sent.map((m) => m.method)).toEqual(['initialize', 'initialized', 'thread/start']));
    h.feed({ id: 2, error: { code: -32600, message: 'no such model' } });
    await vi.waitFor(() =>
      expect(h.events.at(-1)).toMatchObject({ type: 'session-result', status: 'failed', reason: 'no such model' }),
    );
    expect(h.events).toEqual([
      { type: 'error', message: 'no such model' },
      expect.objectContaining({ type: 'session-result' }),
    ]);
    expect(h.ended()).toBe(true);
  });

  it('a failed turn reports its error once and fails', async () => {
    const h = harness();
    await h.handshake();
    h.feed({ method: 'error', params: { error: { message: 'stream disconnected' }, willRetry: true } });
    h.feed({ method: 'error', params: { error: { message: 'unexpected status 401' }, willRetry: false } });
    h.feed({
      method: 'turn/completed',
      params: {
        threadId: 'th_1',
        turn: { id: 'turn_1', status: 'failed', error: { message: 'unexpected status 401' } },
      },
    });
    expect(h.events.filter((e) => e.type === 'error')).toEqual([{ type: 'error', message: 'unexpected status 401' }]);
    expect(h.events.at(-1)).toEqual({
      type: 'session-result',
      status: 'failed',
      sessionId: 'th_1',
      numTurns: 1,
      reason: 'unexpected status 401',
    });
    expect(h.ended()).toBe(true);
  });

  it(
    'allow always is acceptForSession; a deny without a message ' +
      'is a bare decline; requests it cannot show are refused',
    async () => {
      const h = harness();
      await h.handshake();
      h.feed(commandRequest(0));
      h.feed(commandRequest(1));
      const [first, second] = h.client.pending();
      expect(first).toMatchObject({
        toolName: 'Bash',
        input: { command: "/bin/bash -lc 'rm -rf build'", cwd: '/w' },
        toolUseId: 'call_0',
      });
      expect(h.client.respond(first!.requestId, { behavior: 'allow', scope: 'always' })).toBe(true);
      expect(h.client.respond(second!.requestId, { behavior: 'deny' })).toBe(true);
      await vi.waitFor(() =>
        expect(h.sent.filter((m) => 'result' in m)).toEqual([
          { id: 0, result: { decision: 'acceptForSession' } },
          { id: 1, result: { decision: 'decline' } },
        ]),
      );
      expect(h.sent.some((m) => m.method === 'turn/steer')).toBe(false);
      h.feed({ id: 7, method: 'item/tool/requestUserInput', params: { questions: [] } });
      expect(h.sent.at(-1)).toMatchObject({ id: 7, error: { code: -32601 } });
    },
  );

  it('after abort (silent denial) nothing is answered, and a later request is declined at once', async () => {
    const h = harness();
    await h.handshake();
    h.feed(commandRequest(0));
    const [request] = h.client.pending();
    h.client.denyAll('The turn was aborted.', { via: 'abort' }, { silent: true });
    expect(h.events.at(-1)).toMatchObject({
      type: 'approval-resolved',
      requestId: request!.requestId,
      behavior: 'deny',
      by: { via: 'abort' },
    });
    expect(h.sent.some((m) => m.id === 0)).toBe(false);
    h.feed(commandRequest(1));
    expect(h.client.pending()).toEqual([]);
    expect(h.sent.at(-1)).toEqual({ id: 1, result: { decision: 'decline' } });
  });

  it('without approvals the policy is never, and a request that comes anyway is declined', async () => {
    const h = harness({ approvals: false, sessionId: 'th_9' });
    h.feed({ id: 1, result: {} });
    await vi.waitFor(() =>
      expect(h.sent.at(-1)).toMatchObject({
        method: 'thread/resume',
        params: { threadId: 'th_9', approvalPolicy: 'never' },
      }),
    );
    h.feed(commandRequest(0));
    expect(h.events.some((e) => e.type === 'approval-request')).toBe(false);
    expect(h.sent.at(-1)).toEqual({ id: 0, result: { decision: 'decline' } });
  });

  it('maps app-server items to the codex exec item shape', () => {
    expect(
      execItemOf({
        type: 'commandExecution',
        id: 'c',
        command: 'ls',
        status: 'inProgress',
        aggregatedOutput: null,
        exitCode: null,
      }),
    ).toEqual({
      id: 'c',
      type: 'command_execution',
      command: 'ls',
      aggregated_output: '',
      exit_code: null,
      status: 'in_progress',
    });
    expect(
      execItemOf({
        type: 'fileChange',
        id: 'f',
        status: 'declined',
        changes: [{ path: '/w/a', kind: { type: 'update', move_path: null }, diff: '-a\n+b\n' }],
      }),
    ).toEqual({
      id: 'f',
      type: 'file_change',
      status: 'declined',
      changes: [{ path: '/w/a', kind: 'update', diff: '-a\n+b\n' }],
    });
    expect(execItemOf({ type: 'userMessage', id: 'u', content: [] })).toBeUndefined();
  });
});
