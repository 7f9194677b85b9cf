import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.js';

const workspaceRef = z.string().min(1).max(4096);

/** One directory of the worktree; `path` '' (default) is the root. */
export const listFilesInput = z.object({ workspace: workspaceRef, path: z.string().max(4096).optional() });
/** A file's content: text, or `{ binary: true }` / `{ tooLarge: true }`. */
export const readFileInput = z.object({ workspace: workspaceRef, path: z.string().min(1).max(4096) });

export const filesRouter = {
  list: authedProcedure.input(listFilesInput).query(({ ctx, input }) => ctx.services.files.list(input)),
  read: authedProcedure.input(readFileInput).query(({ ctx, input }) => ctx.services.files.read(input)),
} satisfies TRPCRouterRecord;
