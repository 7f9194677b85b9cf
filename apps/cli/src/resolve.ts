// Defaults from the current directory: the workspace whose worktree contains the cwd, its active chat, its first
// terminal (band-docs §2.3 "Resolving the current workspace").
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative } from 'node:path';
import type { CliContext } from './context.js';
import { CliError } from './errors.js';

export interface WorkspaceRef {
  id: string;
  path: string;
  branch?: string;
  projectId?: string;
  activeChatId?: string | null;
}

const real = (p: string) => realpath(p).catch(() => p);

/** The workspace of `workspaces` whose path contains `cwd` (the deepest one when worktrees nest). */
export async function matchWorkspace<W extends WorkspaceRef>(
  workspaces: readonly W[],
  cwd: string,
): Promise<W | undefined> {
  const here = await real(cwd);
  let best: { ws: W; depth: number } | undefined;
  for (const ws of workspaces) {
    if (!ws.path) continue;
    const root = await real(ws.path);
    const rel = relative(root, here);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
      const depth = root.length;
      if (!best || depth > best.depth) best = { ws, depth };
    }
  }
  return best?.ws;
}

/** The given workspace id, else the workspace of the current directory. */
export async function resolveWorkspaceId(ctx: CliContext, id: string | undefined): Promise<string> {
  if (id) return id;
  const workspaces = (await ctx.client.workspaces.list.query()) as WorkspaceRef[];
  const match = await matchWorkspace(workspaces, ctx.cwd);
  if (!match) {
    throw new CliError('NOT_FOUND', `${ctx.cwd} is not inside a Band workspace`, {
      hint: 'Pass a workspace id (see `band workspaces list`), or run the command inside a workspace directory.',
    });
  }
  return match.id;
}

/** Like resolveWorkspaceId, but undefined when the cwd is in no workspace (for lists that can show everything). */
export async function workspaceIdOrAll(ctx: CliContext, id: string | undefined): Promise<string | undefined> {
  if (id) return id;
  const workspaces = (await ctx.client.workspaces.list.query()) as WorkspaceRef[];
  return (await matchWorkspace(workspaces, ctx.cwd))?.id;
}
