// `band chats approvals|approve|deny`: answer an agent's permission prompts (issue 20).
import type { RouterOutputs } from '@band/api';
import type { Command } from 'commander';
import type { CliContext, CliStdin } from '../context.js';
import { CliError } from '../errors.js';
import { renderTable } from '../output.js';

/** A request an agent waits on (`PendingApproval` of @band/api). */
export type ApprovalRow = RouterOutputs['approvals']['list'][number];

interface Question {
  question: string;
  options: string[];
  multiSelect: boolean;
}

/** The questions of an `AskUserQuestion` input. */
export function questionsOf(input: unknown): Question[] {
  const list = input && typeof input === 'object' ? (input as { questions?: unknown }).questions : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((q) => {
    if (!q || typeof q !== 'object' || typeof q.question !== 'string') return [];
    const options = Array.isArray(q.options)
      ? q.options.flatMap((o: unknown) =>
          o && typeof o === 'object' && typeof (o as { label?: unknown }).label === 'string'
            ? [(o as { label: string }).label]
            : [],
        )
      : [];
    return [{ question: q.question, options, multiSelect: q.multiSelect === true }];
  });
}

/** The part of a tool's input a person decides on: the command, the file, the URL, the questions, the plan. */
export function describeApprovalInput(toolName: string, input: unknown): string {
  if (!input || typeof input !== 'object') return toolName;
  const questions = questionsOf(input);
  if (questions.length > 0) return questions.map((q) => `${q.question} [${q.options.join(' | ')}]`).join('; ');
  const record = input as Record<string, unknown>;
  for (const key of [
    'command',
    'file_path',
    'notebook_path',
    'path',
    'url',
    'pattern',
    'query',
    'plan',
    'description',
  ]) {
    if (typeof record[key] === 'string') return (record[key] as string).replace(/\s+/g, ' ').trim();
  }
  return JSON.stringify(input);
}

/** What `chats watch` does when the agent asks: ask on the terminal, stop (--exit-on-approval), or only print. */
export type ApprovalWatchMode = 'prompt' | 'exit' | 'print';

/** Reads one line from stdin (raw mode off: the terminal echoes and edits it). */
function readLine(stdin: CliStdin, signal: AbortSignal): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    const done = (line: string | undefined) => {
      stdin.off('data', onData);
      signal.removeEventListener('abort', onAbort);
      stdin.pause();
      resolve(line);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const end = text.search(/\r|\n/);
      if (end >= 0) done(text.slice(0, end));
    };
    const onAbort = () => done(undefined);
    stdin.on('data', onData);
    signal.addEventListener('abort', onAbort, { once: true });
    stdin.resume();
  });
}

/**
 * Handles an `approval-request` seen by `chats watch`. Only a request still pending counts (a replayed, already
 * answered one is just history). `exit` resolves 'exit' so the watch stops with APPROVAL_PENDING; `prompt` asks
 * y / n / a on the terminal, one request at a time, and sends the answer (a request answered elsewhere meanwhile
 * says so and the watch goes on).
 */
export function createApprovalWatcher(ctx: CliContext, chatId: string, mode: ApprovalWatchMode) {
  let queue = Promise.resolve<'exit' | undefined>(undefined);
  const isPending = async (requestId: string) =>
    (await ctx.client.approvals.list.query({ chatId })).find((a) => a.requestId === requestId);
  async function handle(requestId: string): Promise<'exit' | undefined> {
    if (mode === 'print') return undefined;
    const pending = await isPending(requestId);
    if (!pending) return undefined;
    if (mode === 'exit') return 'exit';
    if (questionsOf(pending.input).length > 0) {
      ctx.err.progress(`Answer with: band chats answer ${requestId} <choice>…`);
      return undefined;
    }
    ctx.err.write(`Allow ${pending.toolName}? [y]es once / [a]lways for this chat / [n]o: `);
    const line = (await readLine(ctx.stdin, ctx.signal))?.trim().toLowerCase();
    if (line === undefined) return undefined;
    const answer =
      line === 'y' || line === 'yes'
        ? 'allow'
        : line === 'a' || line === 'always'
          ? 'always'
          : line === 'n' || line === 'no'
            ? 'deny'
            : undefined;
    if (!answer) {
      ctx.err.progress(
        `Not answered (type y, a or n). Later: band chats approve ${requestId} or band chats deny ${requestId}`,
      );
      return undefined;
    }
    try {
      await ctx.client.approvals.answer.mutate({ requestId, answer });
    } catch (error) {
      ctx.err.progress(`Not sent: ${(error as Error).message}`);
    }
    return undefined;
  }
  return {
    /** Serialises the prompts: one question on the terminal at a time. */
    onRequest(requestId: string): Promise<'exit' | undefined> {
      queue = queue.then(() => handle(requestId));
      return queue;
    },
  };
}

/** Adds the approval commands to the `chats` group (shares its chat resolution). */
export function addApprovalCommands(
  chats: Command,
  ctx: CliContext,
  resolveChatId: (chatId: string | undefined, workspace: string | undefined) => Promise<string>,
): void {
  chats
    .command('approvals')
    .description('List what the agents wait on (permission prompts) in a chat, or in every chat with --all')
    .argument('[chat_id]', 'chat (default: the active chat of the workspace)')
    .option('--workspace <ws_id>', 'workspace (default: the one containing the current directory)')
    .option('--all', 'every chat of every workspace')
    .action(async (chatId: string | undefined, opts: { workspace?: string; all?: boolean }) => {
      const input = opts.all ? undefined : { chatId: await resolveChatId(chatId, opts.workspace) };
      const rows = await ctx.client.approvals.list.query(input);
      ctx.out.print(rows, (r, style) =>
        r.length === 0
          ? 'Nothing is waiting for an answer\n'
          : renderTable(
              r,
              [
                { header: 'REQUEST ID', value: (a) => a.requestId },
                ...(opts.all ? [{ header: 'CHAT ID', value: (a: ApprovalRow) => a.chatId }] : []),
                { header: 'TOOL', value: (a) => a.toolName },
                { header: 'WHAT', value: (a) => describeApprovalInput(a.toolName, a.input).slice(0, 120) },
                { header: 'SINCE', value: (a) => a.requestedAt },
              ],
              style,
            ),
      );
    });

  chats
    .command('approve')
    .description('Allow what the agent asked for (once, or this tool for the rest of the chat with --always)')
    .argument('<request_id>', 'from `band chats approvals`')
    .option('--always', 'allow this tool for the rest of the chat, without asking again')
    .action(async (requestId: string, opts: { always?: boolean }) => {
      const result = await ctx.client.approvals.answer.mutate({ requestId, answer: opts.always ? 'always' : 'allow' });
      ctx.out.print(
        result,
        (r) => `Allowed ${r.requestId}${r.scope === 'always' ? ' (and this tool for the rest of the chat)' : ''}\n`,
      );
    });

  chats
    .command('deny')
    .description('Refuse what the agent asked for; the agent receives the message')
    .argument('<request_id>', 'from `band chats approvals`')
    .option('--message <text>', 'why (the agent reads it and can adjust)')
    .action(async (requestId: string, opts: { message?: string }) => {
      const result = await ctx.client.approvals.answer.mutate({ requestId, answer: 'deny', message: opts.message });
      ctx.out.print(result, (r) => `Denied ${r.requestId}\n`);
    });

  chats
    .command('answer')
    .description("Answer the agent's question (AskUserQuestion): one choice per question, in the order asked")
    .argument('<request_id>', 'from `band chats approvals`')
    .argument(
      '<choices...>',
      "for each question, an option's label or your own words " +
        '(a multi-select question takes labels separated by commas)',
    )
    .action(async (requestId: string, choices: string[]) => {
      const pending = (await ctx.client.approvals.list.query(undefined)).find((a) => a.requestId === requestId);
      const questions = pending ? questionsOf(pending.input) : [];
      if (pending && questions.length === 0) {
        throw new CliError('USAGE', `${requestId} asks for permission to use ${pending.toolName}, not a question`, {
          hint: `Use band chats approve ${requestId} or band chats deny ${requestId}.`,
        });
      }
      if (pending && choices.length !== questions.length) {
        throw new CliError(
          'USAGE',
          `The agent asked ${questions.length} question${questions.length === 1 ? '' : 's'}; ` +
            `give one choice for each, in order`,
          {
            hint: questions.map((q, i) => `${i + 1}. ${q.question} [${q.options.join(' | ')}]`).join('\n'),
          },
        );
      }
      // Unknown or already answered: the server says which.
      const answers = Object.fromEntries(questions.map((q, i) => [q.question, choices[i]!]));
      const result = await ctx.client.approvals.answer.mutate({ requestId, answer: 'allow', answers });
      ctx.out.print(result, (r) => `Answered ${r.requestId}\n`);
    });
}
