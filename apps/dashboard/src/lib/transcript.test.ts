import { describe, expect, it } from 'vitest';
import { buildTranscript, toChatEvent } from './transcript';

const ev = (seq: number, turnId: string, event: Record<string, unknown>) => ({ seq, turnId, type: String(event.type), event: event as { type: string } });

describe('buildTranscript', () => {
  it('merges streamed text, pairs tool calls with their results and ends with cost and duration', () => {
    const turns = buildTranscript([
      ev(1, 't1', { type: 'user-message', turnId: 't1', text: 'Add a file', queued: false }),
      ev(2, 't1', { type: 'turn-start', turnId: 't1' }),
      ev(3, 't1', { type: 'text-delta', text: 'Creat' }),
      ev(4, 't1', { type: 'text-delta', text: 'ing it.' }),
      ev(5, 't1', { type: 'tool-use', id: 'u1', name: 'Write', input: { file_path: '/w/a.txt' } }),
      ev(6, 't1', { type: 'tool-result', id: 'u1', output: 'ok', isError: false }),
      ev(7, 't1', { type: 'text-delta', text: 'Done.' }),
      ev(8, 't1', { type: 'session-result', status: 'success', costUsd: 0.0123, durationMs: 4200 }),
      ev(9, 't1', { type: 'turn-end', turnId: 't1', status: 'done' }),
    ]);
    expect(turns).toHaveLength(1);
    expect(turns[0]).toMatchObject({ prompt: 'Add a file', status: 'done' });
    expect(turns[0]!.items.map((i) => i.kind)).toEqual(['text', 'tool', 'text', 'result']);
    expect(turns[0]!.items[0]).toMatchObject({ text: 'Creating it.' });
    expect(turns[0]!.items[1]).toMatchObject({ name: 'Write', output: 'ok', isError: false });
    expect(turns[0]!.items[3]).toMatchObject({ costUsd: 0.0123, durationMs: 4200 });
  });

  it('keeps a queued message queued until its turn starts, and shows a failed turn with its error', () => {
    const turns = buildTranscript([
      ev(1, 't1', { type: 'user-message', turnId: 't1', text: 'first', queued: false }),
      ev(2, 't2', { type: 'user-message', turnId: 't2', text: 'second', queued: true }),
      ev(3, 't1', { type: 'turn-end', turnId: 't1', status: 'failed', error: 'claude exited with code 1' }),
    ]);
    expect(turns.map((t) => [t.prompt, t.status])).toEqual([
      ['first', 'failed'],
      ['second', 'queued'],
    ]);
    expect(turns[0]!.items).toEqual([expect.objectContaining({ kind: 'error', message: 'claude exited with code 1' })]);
  });

  it('ignores malformed envelopes instead of throwing', () => {
    expect(toChatEvent(null)).toBeNull();
    expect(toChatEvent({ seq: 'x', event: {} })).toBeNull();
    expect(toChatEvent({ seq: 3 })).toBeNull();
    expect(toChatEvent({ seq: 3, turnId: 't', type: 'text-delta', event: { type: 'text-delta', text: 'a' } })).toMatchObject({ seq: 3, turnId: 't' });
    expect(buildTranscript([ev(1, 't', { type: 'unknown-kind' }), ev(2, 't', { type: 'tool-result', id: 'nope', output: 5 })])[0]!.items).toHaveLength(1);
  });
});
