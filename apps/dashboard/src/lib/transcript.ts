// Folds a chat's event log into what the Chat pane renders: per turn, the prompt, merged text, tool calls
// paired with their results, errors and the closing result (cost, duration). Pure, so it is easy to test.
import type { ChatEvent } from '@/lib/workspace-types';

export type TurnStatus = 'queued' | 'running' | 'done' | 'failed' | 'aborted';

export type TranscriptItem =
  | { kind: 'text'; key: string; text: string }
  | { kind: 'tool'; key: string; id: string; name: string; input: unknown; output?: string; isError?: boolean }
  | { kind: 'error'; key: string; message: string; detail?: string }
  | { kind: 'result'; key: string; status: string; costUsd?: number; durationMs?: number; reason?: string };

export interface TranscriptTurn {
  key: string;
  turnId: string | null;
  prompt?: string;
  status: TurnStatus;
  items: TranscriptItem[];
}

/** A stored envelope (`{ seq, turnId, type, event }`) from `chats.events` / `chats.history`. */
export function toChatEvent(value: unknown): ChatEvent | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || !v.event || typeof v.event !== 'object') return null;
  const event = v.event as ChatEvent['event'];
  return { seq: v.seq, turnId: typeof v.turnId === 'string' ? v.turnId : null, type: String(v.type ?? event.type), event };
}

export function buildTranscript(events: readonly ChatEvent[]): TranscriptTurn[] {
  const byTurn = new Map<string, TranscriptTurn>();
  const order: TranscriptTurn[] = [];
  const turnOf = (turnId: string | null): TranscriptTurn => {
    const key = turnId ?? 'none';
    let turn = byTurn.get(key);
    if (!turn) {
      turn = { key, turnId, status: 'running', items: [] };
      byTurn.set(key, turn);
      order.push(turn);
    }
    return turn;
  };

  for (const record of events) {
    const e = record.event;
    const turn = turnOf(record.turnId ?? (typeof e.turnId === 'string' ? e.turnId : null));
    const last = turn.items[turn.items.length - 1];
    switch (e.type) {
      case 'user-message':
        turn.prompt = String(e.text ?? '');
        turn.status = e.queued ? 'queued' : 'running';
        break;
      case 'turn-start':
        turn.status = 'running';
        break;
      case 'turn-end':
        turn.status = e.status === 'failed' || e.status === 'aborted' ? e.status : 'done';
        if (typeof e.error === 'string' && e.error && !turn.items.some((i) => i.kind === 'error')) {
          turn.items.push({ kind: 'error', key: `x${record.seq}`, message: e.error });
        }
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
        } else {
          turn.items.push({ kind: 'tool', key: `r${record.seq}`, id: String(e.id), name: 'result', input: undefined, output: String(e.output ?? ''), isError: Boolean(e.isError) });
        }
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
