import { BandApiError } from '../errors.js';
import { isNotFound } from './socket-caps.js';

/** The part of a workspaces service that terminals and language servers need. */
interface WorkspaceLookup {
  get(id: string): unknown;
}

/** A workspace reference (id, id prefix, branch...) resolved to the workspace it names. */
export interface ResolvedWorkspace {
  /** The workspace id: one key for every way of naming the workspace. */
  id: string;
  /** Absolute worktree path. */
  path: string;
}

/**
 * Finds a workspace through `services.workspaces.get(ref)` (a row with `id` and `path`), looked up lazily so the
 * terminals and LSP services can be built before (or without) the workspaces service.
 */
export function createWorkspaceResolver(
  getWorkspaces: () => WorkspaceLookup | undefined,
): (ref: string) => Promise<ResolvedWorkspace> {
  return async (ref) => {
    const workspaces = getWorkspaces();
    if (!workspaces) {
      throw new BandApiError('UNAVAILABLE', 'Workspaces are not available on this server', { reason: 'NO_WORKSPACES' });
    }
    let row: { id?: unknown; path?: unknown } | undefined;
    try {
      row = (await workspaces.get(ref)) as { id?: unknown; path?: unknown } | undefined;
    } catch (error) {
      if (error instanceof BandApiError || !isNotFound(error)) throw error;
      throw new BandApiError('NOT_FOUND', `workspace not found: ${ref}`, {
        reason: 'WORKSPACE_NOT_FOUND',
        cause: error,
      });
    }
    if (!row || typeof row.path !== 'string') {
      throw new BandApiError('NOT_FOUND', `workspace not found: ${ref}`, { reason: 'WORKSPACE_NOT_FOUND' });
    }
    return { id: typeof row.id === 'string' ? row.id : ref, path: row.path };
  };
}

/** Like {@link createWorkspaceResolver}, for callers that need only the worktree path (terminals). */
export function createWorkspacePathResolver(
  getWorkspaces: () => WorkspaceLookup | undefined,
): (ref: string) => Promise<string> {
  const resolve = createWorkspaceResolver(getWorkspaces);
  return async (ref) => (await resolve(ref)).path;
}
