import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { agentChoice } from '../internal/agent-choice.js';
import { authedProcedure } from '../trpc.js';

/** A workspace id, id prefix, branch, or an absolute path inside its worktree. */
const workspaceRef = z.string().min(1).max(4096);
const projectRef = z.string().min(1).max(200);
/** Checked by git (`check-ref-format --branch`) in the service; this only bounds the size. */
const branchName = z.string().min(1).max(200);

export const listWorkspacesInput = z.object({ project: projectRef.optional() }).optional();
export const getWorkspaceInput = z.object({ workspace: workspaceRef, project: projectRef.optional() });
export const createWorkspaceInput = z.object({
  project: projectRef,
  branch: branchName,
  /** Branch to start from; defaults to the project's default branch. */
  base: branchName.optional(),
  /** Starts a chat with this first prompt once setup has finished. */
  prompt: z.string().min(1).max(200_000).optional(),
  ...agentChoice,
  maxTurns: z.number().int().min(1).max(10_000).optional(),
  /** Answer only after setup finished (follow progress with `workspaces.events`). */
  waitForSetup: z.boolean().optional(),
});
export const removeWorkspaceInput = z.object({
  workspace: workspaceRef,
  project: projectRef.optional(),
  /** Also delete the branch (kept when it has unmerged commits, unless `force`). */
  deleteBranch: z.boolean().optional(),
  force: z.boolean().optional(),
});
export const runSetupInput = z.object({ workspace: workspaceRef });
export const workspaceEventsInput = z.object({ workspaceId: z.string().min(1).max(200).optional() }).optional();

export const workspacesRouter = {
  list: authedProcedure.input(listWorkspacesInput).query(({ ctx, input }) => ctx.services.workspaces.list(input)),
  get: authedProcedure
    .input(getWorkspaceInput)
    .query(({ ctx, input }) => ctx.services.workspaces.get(input.workspace, input)),
  create: authedProcedure
    .input(createWorkspaceInput)
    .mutation(({ ctx, input }) => ctx.services.workspaces.create(input)),
  remove: authedProcedure
    .input(removeWorkspaceInput)
    .mutation(({ ctx, input }) => ctx.services.workspaces.remove(input)),
  runSetup: authedProcedure
    .input(runSetupInput)
    .mutation(({ ctx, input }) => ctx.services.workspaces.runSetup(input.workspace)),
  /** Workspace changes and live setup/teardown output (not resumable: re-read `list` after a reconnect). */
  events: authedProcedure.input(workspaceEventsInput).subscription(async function* ({ ctx, input, signal }) {
    yield* ctx.services.workspaces.subscribe(input ?? {}, signal);
  }),
} satisfies TRPCRouterRecord;
