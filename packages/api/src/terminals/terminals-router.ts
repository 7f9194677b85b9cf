import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { principalKey } from '../internal/socket-caps.js';
import { authedProcedure } from '../trpc.js';

const terminalId = z.string().regex(/^t_[0-9a-z]{1,32}$/, 'a terminal id looks like t_abc123');
const workspaceId = z.string().min(1).max(200);

export const listTerminalsInput = z.object({ workspaceId: workspaceId.optional() }).optional();
export const createTerminalInput = z.object({
  workspaceId,
  /** Relative to the workspace root; must stay inside it. */
  cwd: z.string().max(4096).optional(),
  /** Typed into the shell right after spawn, followed by Enter. */
  command: z
    .string()
    .max(64 * 1024)
    .optional(),
  cols: z.number().int().min(2).max(1000).optional(),
  rows: z.number().int().min(1).max(500).optional(),
});
export const killTerminalInput = z.object({ id: terminalId });
export const sendTerminalInput = z.object({
  id: terminalId,
  /** Written as is: `\r` is Enter, `\t` Tab, `\u0003` Ctrl+C (the CLI turns its `\n` escape into `\r`). */
  data: z
    .string()
    .min(1)
    .max(1024 * 1024),
});
export const terminalOutputInput = z.object({
  id: terminalId,
  /** Last N display lines. */
  lines: z.number().int().min(1).max(100_000).default(50),
  /** Remove colours and cursor sequences. */
  stripAnsi: z.boolean().default(true),
});
export const resizeTerminalInput = z.object({
  id: terminalId,
  cols: z.number().int().min(2).max(1000),
  rows: z.number().int().min(1).max(500),
});

export const terminalEventsInput = z.object({ workspaceId: workspaceId.optional() }).optional();

export const terminalsRouter = {
  list: authedProcedure.input(listTerminalsInput).query(({ ctx, input }) => ctx.services.terminals.list(input)),
  create: authedProcedure
    .input(createTerminalInput)
    .mutation(({ ctx, input }) => ctx.services.terminals.create(input, principalKey(ctx.principal))),
  kill: authedProcedure.input(killTerminalInput).mutation(async ({ ctx, input }) => {
    await ctx.services.terminals.kill(input.id);
    return { id: input.id, killed: true as const };
  }),
  send: authedProcedure.input(sendTerminalInput).mutation(({ ctx, input }) => {
    ctx.services.terminals.send(input.id, input.data);
    return { id: input.id, bytes: Buffer.byteLength(input.data) };
  }),
  resize: authedProcedure
    .input(resizeTerminalInput)
    .mutation(({ ctx, input }) => ctx.services.terminals.resize(input.id, input.cols, input.rows)),
  output: authedProcedure
    .input(terminalOutputInput)
    .query(({ ctx, input }) =>
      ctx.services.terminals.output(input.id, { lines: input.lines, stripAnsi: input.stripAnsi }),
    ),
  /** Terminals created, exited and removed (not resumable: re-read `list` after a reconnect). */
  events: authedProcedure.input(terminalEventsInput).subscription(async function* ({ ctx, input, signal }) {
    yield* ctx.services.terminals.subscribe(input ?? {}, signal);
  }),
} satisfies TRPCRouterRecord;
