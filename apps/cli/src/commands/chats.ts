// `band chats list|create|send|watch|abort|resume|discard|history|approvals|approve|deny|answer`: agent conversations
// in a workspace.
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { addApprovalCommands, type ApprovalWatchMode } from './approvals.js';
import { renderTable } from '../output.js';
import { resolveWorkspaceId, workspaceIdOrAll } from '../resolve.js';
import { type ChatEnvelope, createEventRenderer, oneLine, watchTurn } from './chat-watch.js';

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
