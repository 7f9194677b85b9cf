import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.js';

const workspaceRef = z.string().min(1).max(4096);
/** Relative to the worktree root; `..`, absolute paths and `.git` are refused by the service. */
const filePath = z.string().min(1).max(4096);
/** `base`: everything since the merge-base with the base branch (committed or not); `uncommitted`: since HEAD. */
const against = z.enum(['base', 'uncommitted']);

export const changesStatusInput = z.object({ workspace: workspaceRef, against: against.optional() });
export const changesDiffInput = z.object({ workspace: workspaceRef, path: filePath, against: against.optional() });
/** `against` defaults to `uncommitted` (discard local edits); `base` restores the base branch's version. */
export const revertFileInput = z.object({ workspace: workspaceRef, path: filePath, against: against.optional() });
export const commitInput = z.object({ workspace: workspaceRef, message: z.string().min(1).max(65_536) });

export const changesRouter = {
  status: authedProcedure.input(changesStatusInput).query(({ ctx, input }) => ctx.services.changes.status(input)),
  diff: authedProcedure.input(changesDiffInput).query(({ ctx, input }) => ctx.services.changes.diff(input)),
  revert: authedProcedure.input(revertFileInput).mutation(({ ctx, input }) => ctx.services.changes.revert(input)),
  commit: authedProcedure.input(commitInput).mutation(({ ctx, input }) => ctx.services.changes.commit(input)),
} satisfies TRPCRouterRecord;
