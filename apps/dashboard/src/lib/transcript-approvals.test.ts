import { describe, expect, it } from 'vitest';
import { buildTranscript } from './transcript';

const ev = (seq: number, event: Record<string, unknown>, turnId = 'turn_1') => ({
  seq,
  turnId,
  type: String(event.type),
  event: event as { type: string },
});

describe('buildTranscript: approvals', () => {
  const request = {
    type: 'approval-request',
    requestId: 'r1',
    toolName: 'Bash',
    input: { command: 'npm test' },
    requestedAt: '2026-01-01T00:00:00Z',
  };

  it('a request is a pending approval item until answered, then records who answered', () => {
    const pending = buildTranscript([
      ev(1, { type: 'user-message', text: 'go' }),
      ev(2, { type: 'turn-start' }),
      ev(3, request),
    ]);
    expect(pending[0]!.items).toMatchObject([
      { kind: 'approval', requestId: 'r1', toolName: 'Bash', input: { command: 'npm test' }, state: 'pending' },
    ]);
    const answered = buildTranscript([
      ev(1, { type: 'user-message', text: 'go' }),
      ev(3, request),
      ev(4, {
        type: 'approval-resolved',
        requestId: 'r1',
        behavior: 'deny',
        message: 'no',
        scope: 'once',
        by: { via: 'dashboard', device: 'Safari on iPhone' },
        resolvedAt: '2026-01-01T00:00:05Z',
      }),
    ]);
    expect(answered[0]!.items[0]).toMatchObject({
      state: 'denied',
      message: 'no',
      by: { device: 'Safari on iPhone' },
      resolvedAt: '2026-01-01T00:00:05Z',
    });
  });

  it('a request still open when its turn ended is shown as denied, not as waiting forever', () => {
    const turns = buildTranscript([
      ev(1, { type: 'user-message', text: 'go' }),
      ev(2, request),
      ev(3, { type: 'turn-end', status: 'failed', error: 'The Band server stopped while this turn was running' }),
    ]);
    expect(turns[0]!.items.find((i) => i.kind === 'approval')).toMatchObject({
      state: 'denied',
      message: 'The turn ended before an answer',
    });
  });

  it('a question keeps the answers the user gave', () => {
    const ask = {
      type: 'approval-request',
      requestId: 'q1',
      toolName: 'AskUserQuestion',
      input: { questions: [{ question: 'Which license?', options: [] }] },
    };
    const turns = buildTranscript([
      ev(1, { type: 'user-message', text: 'go' }),
      ev(2, ask),
      ev(3, {
        type: 'approval-resolved',
        requestId: 'q1',
        behavior: 'allow',
        updatedInput: { answers: { 'Which license?': 'MIT' } },
      }),
    ]);
    expect(turns[0]!.items[0]).toMatchObject({ state: 'allowed', answers: { 'Which license?': 'MIT' } });
  });
});
