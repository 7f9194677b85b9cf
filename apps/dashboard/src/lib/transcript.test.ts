import { describe, expect, it } from 'vitest';
import { buildTranscript, toChatEvent } from './transcript';

const ev = (seq: number, turnId: string, event: Record<string, unknown>) => ({
  seq,
  turnId,
  type: String(event.type),
  event: event as { type: string },
});

describe('buildTranscript', () => {
  it("keeps a message's attachments (name, size, media type) on its turn; none when it had none", () => {
    const attachment = { id: 'iabc', name: 'screen.png', size: 70, mediaType: 'image/png' };
    const turns = buildTranscript([
      ev(1, 't1', { type: 'user-message', turnId: 't1', text: 'Look', queued: false, attachments: [attachment] }),
      ev(2, 't2', { type: 'user-message', turnId: 't2', text: 'Plain', queued: true }),
    ]);
    expect(turns[0]!.attachments).toEqual([attachment]);
    expect(turns[1]!.attachments).toBeUndefined();
  });

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

  it(
    'a stopped turn shows one neutral "Stopped"; ' + 'Stop pauses the queue, Send now releases it, Discard hides it',
    () => {
      const turns = buildTranscript([
        ev(1, 't1', { type: 'user-message', turnId: 't1', text: 'first', queued: false }),
        ev(2, 't1', { type: 'turn-start', turnId: 't1' }),
        ev(3, 't2', { type: 'user-message', turnId: 't2', text: 'second', queued: true }),
        ev(4, 't3', { type: 'user-message', turnId: 't3', text: 'third', queued: true }),
        { seq: 5, turnId: null, type: 'queue-paused', event: { type: 'queue-paused', turnIds: ['t2', 't3'] } },
        ev(6, 't1', { type: 'error', message: 'aborted' }),
        ev(7, 't1', { type: 'session-result', status: 'aborted', reason: 'aborted', durationMs: 1500 }),
        ev(8, 't1', { type: 'turn-end', turnId: 't1', status: 'aborted', error: 'aborted' }),
        ev(9, 't3', { type: 'turn-end', turnId: 't3', status: 'aborted', error: 'discarded' }),
      ]);
      expect(turns.map((t) => [t.prompt, t.status, Boolean(t.paused)])).toEqual([
        ['first', 'stopped', false],
        ['second', 'queued', true],
        ['third', 'discarded', false],
      ]);
      expect(turns[0]!.items).toEqual([{ kind: 'stopped', key: 'x8', durationMs: 1500 }]);
      const resumed = buildTranscript([
        ev(1, 't2', { type: 'user-message', turnId: 't2', text: 'second', queued: true }),
        { seq: 2, turnId: null, type: 'queue-paused', event: { type: 'queue-paused', turnIds: ['t2'] } },
        { seq: 3, turnId: null, type: 'queue-resumed', event: { type: 'queue-resumed', turnIds: ['t2'] } },
      ]);
      expect(resumed).toHaveLength(1);
      expect(resumed[0]).toMatchObject({ status: 'queued', paused: false });
    },
  );

  it('ignores malformed envelopes instead of throwing', () => {
    expect(toChatEvent(null)).toBeNull();
    expect(toChatEvent({ seq: 'x', event: {} })).toBeNull();
    expect(toChatEvent({ seq: 3 })).toBeNull();
    expect(
      toChatEvent({ seq: 3, turnId: 't', type: 'text-delta', event: { type: 'text-delta', text: 'a' } }),
    ).toMatchObject({ seq: 3, turnId: 't' });
    expect(
      buildTranscript([
        ev(1, 't', { type: 'unknown-kind' }),
        ev(2, 't', { type: 'tool-result', id: 'nope', output: 5 }),
      ])[0]!.items,
    ).toHaveLength(1);
  });
});
