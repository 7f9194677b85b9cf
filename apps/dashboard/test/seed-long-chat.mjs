// Writes a long chat straight into a Band server's SQLite file (`<home>/band.db`), the way a chat that ran for days
// would have stored it: per turn, the user's message, the agent's text in deltas, a tool call and its result, the
// session result and the turn's end. Used by the long-history UI test and bench (apps/dashboard/bench).
import { join } from 'node:path';
import { openStore } from '@band/store';

/**
 * Events one seeded turn stores: user-message, turn-start, `deltas` text-deltas, tool-use, tool-result, session-result,
 * turn-end.
 */
export const eventsPerTurn = (deltas) => deltas + 6;

/** The prompt of seeded turn `i` (0-based): "message 00042", so order is easy to check. */
export const promptOf = (i) => `message ${String(i).padStart(5, '0')}`;

/**
 * Appends `turns` finished turns to `chatId`, each of `eventsPerTurn(deltas)` events, in one transaction.
 * Returns the chat's last seq.
 */
export function seedLongChat({ home, chatId, turns, deltas = 44 }) {
  const store = openStore(join(home, 'band.db'));
  try {
    store.transaction(() => {
      for (let i = 0; i < turns; i++) {
        const prompt = promptOf(i);
        const turn = store.turns.create({ chatId, prompt });
        store.turns.startNext(chatId);
        const events = [
          { type: 'user-message', turnId: turn.id, text: prompt, queued: false },
          { type: 'turn-start', turnId: turn.id, agentId: 'fake', model: null, mode: 'edit' },
        ];
        for (let d = 0; d < deltas; d++)
          events.push({ type: 'text-delta', text: d === 0 ? `Reply to ${prompt}: ` : `word${d} ` });
        events.push(
          { type: 'tool-use', id: `toolu_${i}`, name: 'Bash', input: { command: `echo ${i}` } },
          { type: 'tool-result', id: `toolu_${i}`, output: String(i), isError: false },
          { type: 'session-result', status: 'success', durationMs: 1200, costUsd: 0.001 },
          { type: 'turn-end', turnId: turn.id, status: 'done' },
        );
        store.chatEvents.appendMany(chatId, turn.id, events);
        store.turns.finish(turn.id, 'done', { durationMs: 1200, costUsd: 0.001 });
      }
    });
    return store.chatEvents.lastSeq(chatId);
  } finally {
    store.close();
  }
}
