import { BandApiError } from '../errors.js';
import { isNotFound } from './socket-caps.js';

/** The part of a workspaces service that terminals and language servers need. */
interface WorkspaceLookup {
  get(id: string): unknown;
}

/**
 * Finds a workspace's worktree path through `services.workspaces.get(id)` (a row with `path`), looked up lazily so
 * the terminals and LSP services can be built before (or without) the workspaces service.
 */
export function createWorkspacePathResolver(getWorkspaces: () => WorkspaceLookup | undefined): (workspaceId: string) => Promise<string> {
  return async (workspaceId) => {
    const workspaces = getWorkspaces();
    if (!workspaces) {
      throw new BandApiError('UNAVAILABLE', 'Workspaces are not available on this server', { reason: 'NO_WORKSPACES' });
    }
    let row: { path?: unknown } | undefined;
    try {
      row = (await workspaces.get(workspaceId)) as { path?: unknown } | undefined;
    } catch (error) {
      if (error instanceof BandApiError || !isNotFound(error)) throw error;
      throw new BandApiError('NOT_FOUND', `workspace not found: ${workspaceId}`, { reason: 'WORKSPACE_NOT_FOUND', cause: error });
    }
    if (!row || typeof row.path !== 'string') {
      throw new BandApiError('NOT_FOUND', `workspace not found: ${workspaceId}`, { reason: 'WORKSPACE_NOT_FOUND' });
    }
    return row.path;
  };
}
