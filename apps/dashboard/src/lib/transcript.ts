// Folds stored chat events into what the Chat pane renders: per turn, the prompt, merged text, tool calls
// paired with their results, errors and the closing result (cost, duration). Pure, so it is easy to test.
import type { ChatEvent, Turn } from '@/lib/workspace-types';

export type TranscriptItem =
  | { kind: 'text'; key: string; text: string }
  | { kind: 'tool'; key: string; id: string; name: string; input: unknown; output?: string; isError?: boolean }
  | { kind: 'error'; key: string; message: string; detail?: string }
  | { kind: 'result'; key: string; status: string; costUsd?: number; durationMs?: number; reason?: string };

export interface TranscriptTurn {
  key: string;
  turnId: string | null;
  prompt?: string;
  status?: Turn['status'];
  items: TranscriptItem[];
}

/** Accepts a stored record (`{ seq, turnId, event }`) or a bare event tagged with the tracked id. */
export function toChatEvent(id: string, value: unknown): ChatEvent | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  const seq = typeof v.seq === 'number' ? v.seq : Number(id);
  if (!Number.isFinite(seq)) return null;
  if (v.event && typeof v.event === 'object') {
    return { seq, turnId: (v.turnId as string | null) ?? null, type: String(v.type ?? (v.event as { type?: unknown }).type), event: v.event as ChatEvent['event'] };
  }
  if (typeof v.type === 'string') return { seq, turnId: (v.turnId as string | null) ?? null, type: v.type, event: v as ChatEvent['event'] };
  return null;
}

export function buildTranscript(events: readonly ChatEvent[], turns: readonly Turn[]): TranscriptTurn[] {
  const byTurn = new Map<string, TranscriptTurn>();
  const order: TranscriptTurn[] = [];
  const turnOf = (turnId: string | null): TranscriptTurn => {
    const key = turnId ?? 'none';
    let turn = byTurn.get(key);
    if (!turn) {
      const known = turns.find((t) => t.id === turnId);
      turn = { key, turnId, prompt: known?.prompt, status: known?.status, items: [] };
      byTurn.set(key, turn);
      order.push(turn);
    }
    return turn;
  };
  // Turns without events yet (queued, or just started) still show their prompt.
  for (const t of turns) turnOf(t.id);

  for (const record of events) {
    const turn = turnOf(record.turnId);
    const e = record.event;
    const last = turn.items[turn.items.length - 1];
    switch (e.type) {
      case 'user-message':
      case 'turn-start':
      case 'turn-started':
      case 'prompt':
        if (typeof e.prompt === 'string') turn.prompt = e.prompt;
        else if (typeof e.text === 'string') turn.prompt = e.text;
        break;
      case 'text-delta': {
        const text = String(e.text ?? '');
        if (last?.kind === 'text') last.text += text;
        else turn.items.push({ kind: 'text', key: `t${record.seq}`, text });
        break;
      }
      case 'tool-use':
        turn.items.push({ kind: 'tool', key: `u${record.seq}`, id: String(e.id), name: String(e.name ?? 'tool'), input: e.input });
        break;
      case 'tool-result': {
        const tool = turn.items.find((item): item is Extract<TranscriptItem, { kind: 'tool' }> => item.kind === 'tool' && item.id === String(e.id));
        if (tool) {
          tool.output = String(e.output ?? '');
          tool.isError = Boolean(e.isError);
        } else turn.items.push({ kind: 'tool', key: `r${record.seq}`, id: String(e.id), name: 'result', input: undefined, output: String(e.output ?? ''), isError: Boolean(e.isError) });
        break;
      }
      case 'error':
        turn.items.push({ kind: 'error', key: `e${record.seq}`, message: String(e.message ?? 'Error'), detail: typeof e.stderrTail === 'string' ? e.stderrTail : undefined });
        break;
      case 'session-result':
        turn.items.push({
          kind: 'result',
          key: `s${record.seq}`,
          status: String(e.status ?? 'success'),
          costUsd: typeof e.costUsd === 'number' ? e.costUsd : undefined,
          durationMs: typeof e.durationMs === 'number' ? e.durationMs : undefined,
          reason: typeof e.reason === 'string' ? e.reason : undefined,
        });
        break;
      default:
        break;
    }
  }
  return order.filter((t) => t.prompt !== undefined || t.items.length > 0);
}
