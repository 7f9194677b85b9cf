import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.js';

/** A project id, id prefix or name. */
const projectRef = z.string().min(1).max(200);

export const registerProjectInput = z.object({
  /** Absolute path of the repository (a directory inside it registers its top level). */
  path: z.string().min(1).max(4096),
  /** Defaults to the directory name. */
  name: z.string().min(1).max(100).optional(),
  /** Defaults to origin/HEAD, else main/master, else the checked-out branch. */
  defaultBranch: z.string().min(1).max(200).optional(),
});
export const getProjectInput = z.object({ project: projectRef });
export const removeProjectInput = z.object({
  project: projectRef,
  /** Also remove its workspaces (teardown + worktree deletion). Without it, a project with workspaces is refused. */
  cascade: z.boolean().optional(),
});

export const projectsRouter = {
  list: authedProcedure.query(({ ctx }) => ctx.services.projects.list()),
  get: authedProcedure.input(getProjectInput).query(({ ctx, input }) => ctx.services.projects.resolve(input.project)),
  register: authedProcedure.input(registerProjectInput).mutation(({ ctx, input }) => ctx.services.projects.register(input)),
  remove: authedProcedure.input(removeProjectInput).mutation(({ ctx, input }) => ctx.services.projects.remove(input)),
} satisfies TRPCRouterRecord;
