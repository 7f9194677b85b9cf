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
export const browseFoldersInput = z
  .object({
    /** Relative to home, `~/…`, or absolute inside home. Default: home. */
    path: z.string().max(4096).optional(),
    showHidden: z.boolean().optional(),
  })
  .optional();
export const getProjectInput = z.object({ project: projectRef });
export const removeProjectInput = z.object({
  project: projectRef,
  /** Also remove its workspaces (teardown + worktree deletion). Without it, a project with workspaces is refused. */
  cascade: z.boolean().optional(),
});

export const projectsRouter = {
  list: authedProcedure.query(({ ctx }) => ctx.services.projects.list()),
  get: authedProcedure.input(getProjectInput).query(({ ctx, input }) => ctx.services.projects.resolve(input.project)),
  register: authedProcedure
    .input(registerProjectInput)
    .mutation(({ ctx, input }) => ctx.services.projects.register(input)),
  remove: authedProcedure.input(removeProjectInput).mutation(({ ctx, input }) => ctx.services.projects.remove(input)),
  /** Folder picker: the sub-directories of a folder under home (directories only, never outside home). */
  browse: authedProcedure
    .input(browseFoldersInput)
    .query(({ ctx, input }) => ctx.services.projects.browse(input ?? {})),
  /** The git repositories under home, most recently active first (bounded depth and time). */
  discover: authedProcedure.query(({ ctx }) => ctx.services.projects.discover()),
} satisfies TRPCRouterRecord;
