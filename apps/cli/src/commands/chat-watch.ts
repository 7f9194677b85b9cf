// What `band chats send|watch|history` print: a chat's events as readable text, and one turn followed live until it
// ends (resuming after a dropped connection, answering or stopping at an approval).
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { type ErrOutput, formatDuration, type Output, type Style } from '../output.js';
import { type ApprovalWatchMode, createApprovalWatcher, describeApprovalInput, questionsOf } from './approvals.js';

/** One stored chat event as streamed (`ChatEventEnvelope` of @band/api). */
export interface ChatEnvelope {
  chatId: string;
  seq: number;
  turnId: string | null;
  type: string;
  event: { type: string; [field: string]: unknown };
  createdAt: string;
}

/** The text on one line, cut to `max` characters. */
export const oneLine = (text: string, max = 100) => {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

function summarizeToolInput(input: unknown): string {
  if (input === null || input === undefined) return '';
  if (typeof input !== 'object') return oneLine(String(input), 80);
  const record = input as Record<string, unknown>;
  for (const key of ['command', 'file_path', 'path', 'pattern', 'url', 'description', 'query']) {
    if (typeof record[key] === 'string') return oneLine(record[key] as string, 80);
  }
  return oneLine(JSON.stringify(input), 80);
}

/** Renders chat events as readable text; keeps track of whether the cursor is mid-line after streamed text. */
export function createEventRenderer(write: (text: string) => void, style: Style) {
  let midLine = false;
  const line = (text: string) => {
    write(`${midLine ? '\n' : ''}${text}\n`);
    midLine = false;
  };
  return (envelope: ChatEnvelope) => {
    const e = envelope.event;
    switch (e.type) {
      case 'user-message':
        line(style.bold(`> ${String(e.text ?? '')}`) + (e.queued ? style.dim(' (queued)') : ''));
        for (const a of Array.isArray(e.attachments)
          ? (e.attachments as Array<{ name?: string; size?: number }>)
          : []) {
          line(style.dim(`  + ${String(a.name ?? 'file')} (${Number(a.size ?? 0)} bytes)`));
        }
        break;
      case 'turn-start':
        line(style.dim(`[${[e.agentId, e.model, e.mode].filter(Boolean).join(' · ')}]`));
        break;
      case 'text-delta': {
        const text = String(e.text ?? '');
        if (text) {
          write(text);
          midLine = !text.endsWith('\n');
        }
        break;
      }
      case 'tool-use':
        line(style.cyan(`⏺ ${String(e.name)}`) + style.dim(`(${summarizeToolInput(e.input)})`));
        break;
      case 'tool-result': {
        const output = String(e.output ?? '');
        const lines = output.split('\n').filter((l) => l.trim() !== '');
        const first = lines[0] ? oneLine(lines[0], 100) : '(no output)';
        const more = lines.length > 1 ? ` (+${lines.length - 1} lines)` : '';
        line(e.isError ? style.red(`  ⎿ ${first}${more}`) : style.dim(`  ⎿ ${first}${more}`));
        break;
      }
      case 'session-result': {
        const parts = [String(e.status)];
        if (typeof e.durationMs === 'number') parts.push(formatDuration(e.durationMs));
        if (typeof e.costUsd === 'number') parts.push(`$${e.costUsd.toFixed(4)}`);
        if (typeof e.reason === 'string' && e.reason) parts.push(e.reason);
        line(style.dim(`[${parts.join(', ')}]`));
        break;
      }
      case 'error':
        line(style.red(`error: ${String(e.message ?? '')}`));
        break;
      case 'turn-end':
        if (e.status === 'done') line(style.green('[turn done]'));
        else line(style.red(`[turn ${String(e.status)}${e.error ? `: ${String(e.error)}` : ''}]`));
        break;
      case 'approval-request':
        if (questionsOf(e.input).length > 0) {
          line(
            style.yellow(`? The agent asks: ${describeApprovalInput(String(e.toolName), e.input)}`) +
              style.dim(`  (band chats answer ${String(e.requestId)} <choice>…)`),
          );
        } else {
          line(
            style.yellow(`? ${String(e.toolName)} wants: ${describeApprovalInput(String(e.toolName), e.input)}`) +
              style.dim(
                `  (band chats approve ${String(e.requestId)} [--always] ` +
                  `| band chats deny ${String(e.requestId)} [--message …])`,
              ),
          );
        }
        break;
      case 'approval-resolved': {
        const by = e.by as Record<string, string> | undefined;
        const who = by?.device ?? by?.via;
        const answers = (e.updatedInput as { answers?: Record<string, string> } | undefined)?.answers;
        const what = answers
          ? `answered: ${Object.entries(answers)
              .map(([q, a]) => `${q} → ${a}`)
              .join('; ')}`
          : e.behavior === 'allow'
            ? e.scope === 'always'
              ? 'allowed (always)'
              : 'allowed'
            : `denied${e.message ? `: ${String(e.message)}` : ''}`;
        line(style.dim(`  ⎿ ${what}${who ? ` by ${who}` : ''}`));
        break;
      }
      case 'session-start':
        break;
      default:
        break;
    }
  };
}

/** tRPC delivers `tracked()` batches as `{ id, data: { events } }` (`chats.eventBatches`). */
function unwrapBatch(value: unknown): ChatEnvelope[] {
  const v = value as { data?: { events?: unknown } };
  return Array.isArray(v?.data?.events) ? (v.data.events as ChatEnvelope[]) : [];
}

export interface WatchOptions {
  chatId: string;
  /** Stream events after this seq. */
  afterSeq: number;
  /** Follow this turn until it ends; null: the next turn that starts. */
  turnId: string | null;
  out: Output;
  err: ErrOutput;
  /**
   * When the agent asks: prompt y/n/a (a terminal), stop with APPROVAL_PENDING (`exit`), or only print.
   * @default 'print'
   */
  approvals?: ApprovalWatchMode;
}

/**
 * Streams one turn of a chat until its `turn-end`; resumes after a dropped connection (the tRPC client resends
 * the last event id). Resolves with the turn's status; rejects with INTERRUPTED on Ctrl+C (the turn keeps running).
 */
export function watchTurn(ctx: CliContext, options: WatchOptions): Promise<'done' | 'failed' | 'aborted'> {
  ctx.handleInterrupt();
  const render = createEventRenderer((text) => options.out.write(text), options.out.style);
  const approvals = createApprovalWatcher(ctx, options.chatId, options.approvals ?? 'print');
  let turnId = options.turnId;
  return new Promise((resolve, reject) => {
    const finish = (fn: () => void) => {
      sub.unsubscribe();
      ctx.signal.removeEventListener('abort', onAbort);
      fn();
    };
    const onAbort = () =>
      finish(() =>
        reject(new CliError('INTERRUPTED', 'Stopped watching (the turn keeps running; `band chats abort` stops it)')),
      );
    let ended = false;
    // Batched (one frame per tick, tracked by its last seq): a reconnect resumes after the whole batch.
    const sub = ctx.client.chats.eventBatches.subscribe(
      { chatId: options.chatId, lastEventId: String(options.afterSeq) },
      {
        onData(value: unknown) {
          for (const envelope of unwrapBatch(value)) {
            if (ended) return;
            const event = envelope.event;
            if (turnId === null) {
              // Waiting for the next turn: it begins with its user message (or its start, for a queued one).
              if ((event.type === 'user-message' || event.type === 'turn-start') && envelope.turnId)
                turnId = envelope.turnId;
              else continue;
            }
            if (envelope.turnId !== turnId) continue;
            if (options.out.format === 'json') options.out.jsonLine(envelope);
            else render(envelope);
            if (event.type === 'approval-request') {
              const requestId = String(event.requestId);
              void approvals.onRequest(requestId).then(
                (outcome) => {
                  if (outcome !== 'exit' || ended) return;
                  ended = true;
                  finish(() =>
                    reject(
                      new CliError('APPROVAL_PENDING', `The agent waits for an answer to ${requestId}`, {
                        hint: `band chats approve ${requestId} [--always] | band chats deny ${requestId} [--message …]`,
                      }),
                    ),
                  );
                },
                () => {},
              );
            }
            if (event.type === 'turn-end') {
              ended = true;
              finish(() => resolve(event.status as 'done' | 'failed' | 'aborted'));
            }
          }
        },
        onError(error: unknown) {
          finish(() => reject(error));
        },
      },
    );
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}
