// Folds a chat's event log into what the Chat pane renders: per turn, the prompt, merged text, tool calls
// paired with their results, errors and the closing result (cost, duration). Pure, so it is easy to test.
import type { ChatEvent } from '@/lib/types';

/** `stopped`: the user pressed Stop; `discarded`: a queued message the user dropped before it ran. */
export type TurnStatus = 'queued' | 'running' | 'done' | 'failed' | 'aborted' | 'stopped' | 'discarded';

export type TranscriptItem =
  | { kind: 'text'; key: string; text: string }
  | { kind: 'tool'; key: string; id: string; name: string; input: unknown; output?: string; isError?: boolean }
  | { kind: 'error'; key: string; message: string; detail?: string }
  | { kind: 'result'; key: string; status: string; costUsd?: number; durationMs?: number; reason?: string }
  /** One neutral line for a turn the user stopped (instead of an error box and two "aborted" labels). */
  | { kind: 'stopped'; key: string; durationMs?: number }
  /** A permission prompt (issue 20): pending until answered, or denied when its turn was stopped or ended. */
  | {
      kind: 'approval';
      key: string;
      requestId: string;
      toolName: string;
      input: unknown;
      state: 'pending' | 'allowed' | 'denied';
      scope?: 'once' | 'always';
      message?: string;
      /** The user's answers to an `AskUserQuestion` (question → answer). */
      answers?: Record<string, string>;
      /** Who answered: `{ via, device?, deviceId?, listener? }` (`via`: dashboard, token, rule, abort, turn-end). */
      by?: Record<string, string>;
      resolvedAt?: string;
    };

export interface TranscriptAttachment {
  id: string;
  name: string;
  size: number;
  mediaType: string;
}

export interface TranscriptTurn {
  key: string;
  turnId: string | null;
  prompt?: string;
  /** Files sent with the message (name, size, media type). */
  attachments?: TranscriptAttachment[];
  status: TurnStatus;
  /** A queued message that a Stop paused: it waits for Send now or Discard. */
  paused?: boolean;
  items: TranscriptItem[];
}

/** A stored envelope (`{ seq, turnId, type, event }`) from `chats.eventBatches` / `chats.history`. */
export function toChatEvent(value: unknown): ChatEvent | null {
  if (!value || typeof value !== 'object') return null;
  const v = value as Record<string, unknown>;
  if (typeof v.seq !== 'number' || !v.event || typeof v.event !== 'object') return null;
  const event = v.event as ChatEvent['event'];
  return {
    seq: v.seq,
    turnId: typeof v.turnId === 'string' ? v.turnId : null,
    type: String(v.type ?? event.type),
    event,
  };
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
    if (e.type === 'queue-paused' || e.type === 'queue-resumed') {
      for (const id of Array.isArray(e.turnIds) ? e.turnIds : []) {
        const held = byTurn.get(String(id));
        if (held) held.paused = e.type === 'queue-paused';
      }
      continue;
    }
    const turn = turnOf(record.turnId ?? (typeof e.turnId === 'string' ? e.turnId : null));
    const last = turn.items[turn.items.length - 1];
    switch (e.type) {
      case 'user-message':
        turn.prompt = String(e.text ?? '');
        turn.status = e.queued ? 'queued' : 'running';
        if (Array.isArray(e.attachments) && e.attachments.length > 0) {
          turn.attachments = (e.attachments as Array<Record<string, unknown>>).map((a) => ({
            id: String(a.id),
            name: String(a.name ?? 'file'),
            size: Number(a.size ?? 0),
            mediaType: String(a.mediaType ?? ''),
          }));
        }
        break;
      case 'turn-start':
        turn.status = 'running';
        turn.paused = false;
        break;
      case 'turn-end':
        turn.paused = false;
        // A request still open when its turn ended (the server restarted under it) can never be answered.
        for (const item of turn.items) {
          if (item.kind === 'approval' && item.state === 'pending')
            Object.assign(item, { state: 'denied', message: 'The turn ended before an answer' });
        }
        if (e.status === 'aborted' && (e.error === 'discarded' || e.error === 'cleared from the queue')) {
          turn.status = 'discarded';
          break;
        }
        if (e.status === 'aborted' && (e.error === undefined || e.error === 'aborted')) {
          // Stopped by the user: they know. The agent's "aborted" result and error collapse into one line.
          const result = turn.items.find(
            (i): i is Extract<TranscriptItem, { kind: 'result' }> => i.kind === 'result' && i.status === 'aborted',
          );
          turn.items = turn.items.filter(
            (i) =>
              !(i.kind === 'result' && i.status === 'aborted') && !(i.kind === 'error' && /^abort/i.test(i.message)),
          );
          turn.items.push({ kind: 'stopped', key: `x${record.seq}`, durationMs: result?.durationMs });
          turn.status = 'stopped';
          break;
        }
        turn.status = e.status === 'failed' || e.status === 'aborted' ? e.status : 'done';
        if (typeof e.error === 'string' && e.error && !turn.items.some((i) => i.kind === 'error')) {
          turn.items.push({ kind: 'error', key: `x${record.seq}`, message: e.error });
        }
        // A failed turn says why once (its error box); the agent's "failed <reason>" line would repeat it.
        if (e.status === 'failed')
          turn.items = turn.items.filter((i) => !(i.kind === 'result' && i.status === 'failed'));
        break;
      case 'text-delta': {
        const text = String(e.text ?? '');
        if (last?.kind === 'text') last.text += text;
        else turn.items.push({ kind: 'text', key: `t${record.seq}`, text });
        break;
      }
      case 'tool-use':
        turn.items.push({
          kind: 'tool',
          key: `u${record.seq}`,
          id: String(e.id),
          name: String(e.name ?? 'tool'),
          input: e.input,
        });
        break;
      case 'tool-result': {
        const tool = turn.items.find(
          (item): item is Extract<TranscriptItem, { kind: 'tool' }> => item.kind === 'tool' && item.id === String(e.id),
        );
        if (tool) {
          tool.output = String(e.output ?? '');
          tool.isError = Boolean(e.isError);
        } else {
          turn.items.push({
            kind: 'tool',
            key: `r${record.seq}`,
            id: String(e.id),
            name: 'result',
            input: undefined,
            output: String(e.output ?? ''),
            isError: Boolean(e.isError),
          });
        }
        break;
      }
      case 'approval-request':
        turn.items.push({
          kind: 'approval',
          key: `a${record.seq}`,
          requestId: String(e.requestId),
          toolName: String(e.toolName ?? 'tool'),
          input: e.input,
          state: 'pending',
        });
        break;
      case 'approval-resolved': {
        const item = turn.items.find(
          (i): i is Extract<TranscriptItem, { kind: 'approval' }> =>
            i.kind === 'approval' && i.requestId === String(e.requestId),
        );
        if (!item) break;
        item.state = e.behavior === 'allow' ? 'allowed' : 'denied';
        if (e.scope === 'once' || e.scope === 'always') item.scope = e.scope;
        if (typeof e.message === 'string') item.message = e.message;
        const answers = (e.updatedInput as { answers?: unknown } | undefined)?.answers;
        if (answers && typeof answers === 'object') item.answers = answers as Record<string, string>;
        if (e.by && typeof e.by === 'object') item.by = e.by as Record<string, string>;
        if (typeof e.resolvedAt === 'string') item.resolvedAt = e.resolvedAt;
        break;
      }
      case 'error':
        turn.items.push({
          kind: 'error',
          key: `e${record.seq}`,
          message: String(e.message ?? 'Error'),
          detail: typeof e.stderrTail === 'string' ? e.stderrTail : undefined,
        });
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
