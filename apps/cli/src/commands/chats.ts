// `band chats list|create|send|watch|abort|resume|discard|history|approvals|approve|deny|answer`: agent conversations
// in a workspace.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import {
  addApprovalCommands,
  type ApprovalWatchMode,
  createApprovalWatcher,
  describeApprovalInput,
  questionsOf,
} from './approvals.js';
import { type ErrOutput, formatDuration, type Output, renderTable, type Style } from '../output.js';
import { resolveWorkspaceId, workspaceIdOrAll } from '../resolve.js';

interface ChatRow {
  id: string;
  workspaceId: string;
  agentId: string;
  model: string | null;
  mode: string | null;
  title: string;
  status: string;
  lastSeq: number;
  updatedAt: string;
}

interface TurnRow {
  id: string;
  chatId: string;
  prompt: string;
  status: 'queued' | 'running' | 'done' | 'failed' | 'aborted';
  error: string | null;
  costUsd: number | null;
  durationMs: number | null;
  createdAt: string;
}

/** One stored chat event as streamed (`ChatEventEnvelope` of @band/api). */
export interface ChatEnvelope {
  chatId: string;
  seq: number;
  turnId: string | null;
  type: string;
  event: { type: string; [field: string]: unknown };
  createdAt: string;
}

interface ChatHistory {
  chat: ChatRow;
  turns: TurnRow[];
  events: ChatEnvelope[];
  lastSeq: number;
}

const parsePositive = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive whole number');
  return n;
};

const oneLine = (text: string, max = 100) => {
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

/** --exit-on-approval stops; a terminal (stdin and stdout, text output) is asked y/n/a; anything else only prints. */
function approvalMode(ctx: CliContext, exitOnApproval: boolean | undefined): ApprovalWatchMode {
  if (exitOnApproval) return 'exit';
  return ctx.isTTY && ctx.stdin.isTTY && ctx.out.format !== 'json' ? 'prompt' : 'print';
}

function exitForTurn(status: 'done' | 'failed' | 'aborted'): void {
  if (status === 'failed') throw new CliError('ERROR', 'The turn failed');
  if (status === 'aborted') throw new CliError('ERROR', 'The turn was aborted');
}

/** The declared type of a file sent with `--attach`: the four image types Band passes as images, else a plain file. */
const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
};

/** Uploads each file (`uploads.create`) for the workspace and returns the attachment ids. */
async function uploadFiles(ctx: CliContext, workspaceId: string, paths: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const path of paths) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (error) {
      throw new CliError(
        'VALIDATION',
        `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        { hint: 'Give the path of a file to --attach.' },
      );
    }
    const form = new FormData();
    form.set('workspaceId', workspaceId);
    form.set(
      'file',
      new File([bytes], basename(path), {
        type: IMAGE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream',
      }),
    );
    const attachment = (await ctx.client.uploads.create.mutate(form)) as { id: string };
    ids.push(attachment.id);
  }
  return ids;
}

async function resolveChatId(
  ctx: CliContext,
  chatId: string | undefined,
  workspace: string | undefined,
): Promise<string> {
  if (chatId) return chatId;
  const workspaceId = await resolveWorkspaceId(ctx, workspace);
  const workspaces = (await ctx.client.workspaces.list.query()) as Array<{ id: string; activeChatId?: string | null }>;
  const active = workspaces.find((w) => w.id === workspaceId)?.activeChatId;
  if (active) return active;
  const chats = (await ctx.client.chats.list.query({ workspaceId })) as ChatRow[];
  const last = chats.at(-1);
  if (!last)
    throw new CliError('NOT_FOUND', `Workspace ${workspaceId} has no chat yet`, {
      hint: 'Start one with `band chats send --message "…"`.',
    });
  return last.id;
}

export function chatsCommand(ctx: CliContext): Command {
  const chats = new Command('chats').description(
    'Agent conversations in a workspace (each may run a different agent, model or mode)',
  );

  chats
    .command('list')
    .description("List a workspace's chats (the current directory's workspace, else all)")
    .argument('[workspace_id]', 'workspace (default: the one containing the current directory)')
    .action(async (workspace?: string) => {
      const workspaceId = await workspaceIdOrAll(ctx, workspace);
      const rows = (await ctx.client.chats.list.query(workspaceId ? { workspaceId } : undefined)) as ChatRow[];
      ctx.out.print(rows, (r, style) =>
        renderTable(
          r,
          [
            { header: 'ID', value: (c) => c.id },
            { header: 'WORKSPACE ID', value: (c) => c.workspaceId },
            { header: 'AGENT', value: (c) => c.agentId },
            { header: 'MODEL', value: (c) => c.model },
            { header: 'MODE', value: (c) => c.mode },
            { header: 'STATUS', value: (c) => c.status },
            { header: 'TITLE', value: (c) => (c.title ? oneLine(c.title, 60) : '') },
          ],
          style,
        ),
      );
    });

  chats
    .command('create')
    .description('Open a new chat in a workspace (prints its id)')
    .argument('[workspace_id]', 'workspace (default: the one containing the current directory)')
    .option('--name <name>', 'display name')
    .option('--agent <id>', 'coding agent from settings, e.g. claude-code, codex, opencode')
    .option('--model <model>', 'model, e.g. claude-opus-4-20250514')
    .option('--mode <mode>', 'mode, e.g. plan or edit')
    .action(
      async (workspace: string | undefined, opts: { name?: string; agent?: string; model?: string; mode?: string }) => {
        const workspaceId = await resolveWorkspaceId(ctx, workspace);
        const chat = (await ctx.client.chats.create.mutate({
          workspaceId,
          name: opts.name,
          agent: opts.agent,
          model: opts.model,
          mode: opts.mode,
        })) as ChatRow;
        ctx.out.print(chat, (c) => `${c.id}\n`);
      },
    );

  chats
    .command('send')
    .description("Send a prompt (starts a turn); without a chat id, to the workspace's active chat, created if needed")
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .requiredOption('--message <text>', 'the prompt')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .option('--watch', "stream the agent's output until the turn ends, and exit with its status")
    .option(
      '--exit-on-approval',
      'with --watch: stop (exit 8) when the agent waits for an answer, instead of asking on the terminal',
    )
    .option(
      '--attach <file...>',
      'files sent with the message (at most 10, 20 MiB each; PNG, JPEG, GIF and WebP reach the agent as images)',
    )
    .action(
      async (
        chatId: string | undefined,
        opts: { message: string; workspace?: string; watch?: boolean; exitOnApproval?: boolean; attach?: string[] },
      ) => {
        const target = chatId ? { chatId } : { workspaceId: await resolveWorkspaceId(ctx, opts.workspace) };
        let attachmentIds: string[] | undefined;
        if (opts.attach?.length) {
          const workspaceId =
            target.workspaceId ??
            ((await ctx.client.chats.history.query({ chatId: chatId!, limit: 1 })) as ChatHistory).chat.workspaceId;
          attachmentIds = await uploadFiles(ctx, workspaceId, opts.attach);
        }
        const result = (await ctx.client.chats.send.mutate({ ...target, message: opts.message, attachmentIds })) as {
          chat: ChatRow;
          turn: TurnRow;
          queued: boolean;
        };
        if (!opts.watch) {
          ctx.out.print(result, (r) => `${r.chat.id}\n`);
          if (result.queued) ctx.err.progress('Queued: it starts when the running turn ends.');
          return;
        }
        ctx.err.progress(
          `${result.chat.id} · ${result.turn.id}${result.queued ? ' (queued)' : ''} — ` +
            `Ctrl+C stops watching, not the agent`,
        );
        const status = await watchTurn(ctx, {
          chatId: result.chat.id,
          afterSeq: Math.max(0, result.chat.lastSeq - 50),
          turnId: result.turn.id,
          out: ctx.out,
          err: ctx.err,
          approvals: approvalMode(ctx, opts.exitOnApproval),
        });
        exitForTurn(status);
      },
    );

  chats
    .command('watch')
    .description(
      'Follow the running turn (or the next one) until it ends; exits with its status; Ctrl+C stops watching only',
    )
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .option('--exit-on-approval', 'stop (exit 8) when the agent waits for an answer, instead of asking on the terminal')
    .action(async (chatId: string | undefined, opts: { workspace?: string; exitOnApproval?: boolean }) => {
      const id = await resolveChatId(ctx, chatId, opts.workspace);
      const history = (await ctx.client.chats.history.query({ chatId: id, afterSeq: 0, limit: 1 })) as ChatHistory;
      const current =
        history.turns.find((t) => t.status === 'running') ?? history.turns.find((t) => t.status === 'queued');
      if (!current) ctx.err.progress(`${id} is idle: waiting for the next turn — Ctrl+C stops watching`);
      else ctx.err.progress(`${id} · ${current.id} — Ctrl+C stops watching, not the agent`);
      const status = await watchTurn(ctx, {
        chatId: id,
        // The running turn from its start (its events are filtered by turn id); else only new events.
        afterSeq: current ? 0 : history.lastSeq,
        turnId: current?.id ?? null,
        out: ctx.out,
        err: ctx.err,
        approvals: approvalMode(ctx, opts.exitOnApproval),
      });
      exitForTurn(status);
    });

  chats
    .command('abort')
    .description(
      'Stop the running turn (the agent and every process it started); ' +
        'queued messages wait, paused, until `band chats resume`',
    )
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .option('--clear-queue', 'drop the queued messages instead of pausing them')
    .action(async (chatId: string | undefined, opts: { workspace?: string; clearQueue?: boolean }) => {
      const id = await resolveChatId(ctx, chatId, opts.workspace);
      const result = (await ctx.client.chats.abort.mutate({ chatId: id, clearQueue: opts.clearQueue })) as {
        abortedTurnId: string | null;
        clearedTurnIds: string[];
        pausedTurnIds?: string[];
      };
      ctx.out.print(result, (r) => {
        if (!r.abortedTurnId) return 'Nothing was running\n';
        const paused = r.pausedTurnIds?.length ?? 0;
        const queue = r.clearedTurnIds.length
          ? ` and dropped ${r.clearedTurnIds.length} queued`
          : paused
            ? `; ${paused} queued ${paused === 1 ? 'message waits' : 'messages wait'} (band chats resume sends, ` +
              `band chats discard drops)`
            : '';
        return `Aborted ${r.abortedTurnId}${queue}\n`;
      });
    });

  chats
    .command('resume')
    .description('Send the queued messages a Stop paused (all, in order, or one with --turn)')
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .option('--turn <turn_id>', 'only this queued message')
    .action(async (chatId: string | undefined, opts: { workspace?: string; turn?: string }) => {
      const id = await resolveChatId(ctx, chatId, opts.workspace);
      const result = (await ctx.client.chats.resume.mutate({ chatId: id, turnId: opts.turn })) as {
        resumedTurnIds: string[];
      };
      ctx.out.print(result, (r) =>
        r.resumedTurnIds.length ? `Sent ${r.resumedTurnIds.join(', ')}\n` : 'Nothing was paused\n',
      );
    });

  chats
    .command('discard')
    .description('Drop a queued message before it runs')
    .argument('<turn_id>', 'the queued message (its turn id, from `band chats history`)')
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .action(async (turnId: string, chatId: string | undefined, opts: { workspace?: string }) => {
      const id = await resolveChatId(ctx, chatId, opts.workspace);
      const result = (await ctx.client.chats.discard.mutate({ chatId: id, turnId })) as { discardedTurnId: string };
      ctx.out.print(result, (r) => `Discarded ${r.discardedTurnId}\n`);
    });

  chats
    .command('history')
    .description("Print a chat's conversation")
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .option('--after <seq>', 'only events after this sequence number', (v) => Number(v))
    .option('--limit <n>', 'at most this many events (default: all)', parsePositive)
    .action(async (chatId: string | undefined, opts: { workspace?: string; after?: number; limit?: number }) => {
      const id = await resolveChatId(ctx, chatId, opts.workspace);
      if (opts.after !== undefined && (!Number.isInteger(opts.after) || opts.after < 0))
        throw new CliError('USAGE', '--after must be a sequence number (0 or more)');
      // Pages until the end (or the limit).
      const first = (await ctx.client.chats.history.query({
        chatId: id,
        afterSeq: opts.after ?? 0,
        limit: Math.min(opts.limit ?? 5_000, 5_000),
      })) as ChatHistory;
      const events = [...first.events];
      while (
        events.length > 0 &&
        (opts.limit === undefined || events.length < opts.limit) &&
        events.at(-1)!.seq < first.lastSeq
      ) {
        const page = (await ctx.client.chats.history.query({
          chatId: id,
          afterSeq: events.at(-1)!.seq,
          limit: Math.min((opts.limit ?? Number.MAX_SAFE_INTEGER) - events.length, 5_000),
        })) as ChatHistory;
        if (page.events.length === 0) break;
        events.push(...page.events);
      }
      const data: ChatHistory = { ...first, events };
      if (ctx.out.format === 'json') {
        ctx.out.json(data);
        return;
      }
      const render = createEventRenderer((text) => ctx.out.write(text), ctx.out.style);
      for (const envelope of events) render(envelope);
    });
  addApprovalCommands(chats, ctx, (chatId, workspace) => resolveChatId(ctx, chatId, workspace));
  return chats;
}
