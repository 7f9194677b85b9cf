import { newId } from '../ids.js';
import type { InitialRequest, SetupStatus, Workspace, WorkspaceStatus } from '../types.js';
import { createFindByIdPrefix, createGetById, createPatcher, iso, type RepoContext } from './shared.js';

interface WorkspaceRow {
  id: string;
  project_id: string;
  branch: string;
  base_branch: string;
  path: string;
  status: WorkspaceStatus;
  setup_status: SetupStatus;
  setup_output: string;
  setup_exit_code: number | null;
  active_chat_id: string | null;
  initial_request: string | null;
  created_at: number;
  updated_at: number;
}

const toWorkspace = (r: WorkspaceRow): Workspace => ({
  id: r.id,
  projectId: r.project_id,
  branch: r.branch,
  baseBranch: r.base_branch,
  path: r.path,
  status: r.status,
  setupStatus: r.setup_status,
  setupOutput: r.setup_output,
  setupExitCode: r.setup_exit_code,
  activeChatId: r.active_chat_id,
  initialRequest: r.initial_request === null ? null : (JSON.parse(r.initial_request) as InitialRequest),
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

export interface NewWorkspace {
  projectId: string;
  branch: string;
  baseBranch: string;
  path: string;
  /** @default 'creating' */
  status?: WorkspaceStatus;
  /** @default 'none' */
  setupStatus?: SetupStatus;
  initialRequest?: InitialRequest | null;
  /** Generated (`ws_…`) when omitted. */
  id?: string;
}

export type WorkspacePatch = Partial<
  Pick<
    Workspace,
    'status' | 'setupStatus' | 'setupOutput' | 'setupExitCode' | 'activeChatId' | 'initialRequest' | 'baseBranch'
  >
>;

export interface WorkspacesRepository {
  /**
   * Throws StoreError `CONFLICT` for a duplicate (project, branch) or path, `REFERENCE_MISSING` for an unknown project.
   */
  create(input: NewWorkspace): Workspace;
  get(id: string): Workspace | undefined;
  getByBranch(projectId: string, branch: string): Workspace | undefined;
  getByPath(path: string): Workspace | undefined;
  /** All workspaces, or one project's, ordered by creation. */
  list(projectId?: string): Workspace[];
  /** Workspaces whose id starts with `prefix` (at most 10). */
  findByIdPrefix(prefix: string): Workspace[];
  /** Returns the updated record, or undefined when it does not exist. Bumps `updatedAt`. */
  update(id: string, patch: WorkspacePatch): Workspace | undefined;
  /** Deletes the workspace and, by cascade, its chats, turns and events. */
  remove(id: string): boolean;
}

export function createWorkspacesRepository({ db, now }: RepoContext): WorkspacesRepository {
  const insert = db.prepare(`
    INSERT INTO workspaces (id, project_id, branch, base_branch, path, status, setup_status, initial_request, \
created_at, updated_at)
    VALUES (@id, @projectId, @branch, @baseBranch, @path, @status, @setupStatus, @initialRequest, @now, @now)`);
  const byBranch = db.prepare<[string, string], WorkspaceRow>(
    'SELECT * FROM workspaces WHERE project_id = ? AND branch = ?',
  );
  const byPath = db.prepare<[string], WorkspaceRow>('SELECT * FROM workspaces WHERE path = ?');
  const all = db.prepare<[], WorkspaceRow>('SELECT * FROM workspaces ORDER BY created_at, rowid');
  const ofProject = db.prepare<[string], WorkspaceRow>(
    'SELECT * FROM workspaces WHERE project_id = ? ORDER BY created_at, rowid',
  );
  const del = db.prepare('DELETE FROM workspaces WHERE id = ?');
  const patcher = createPatcher(
    db,
    'workspaces',
    {
      status: 'status',
      setupStatus: 'setup_status',
      setupOutput: 'setup_output',
      setupExitCode: 'setup_exit_code',
      activeChatId: 'active_chat_id',
      initialRequest: 'initial_request',
      baseBranch: 'base_branch',
    },
    true,
  );

  const get = createGetById(db, 'workspaces', toWorkspace);
  return {
    create(input) {
      const id = input.id ?? newId('ws');
      insert.run({
        id,
        projectId: input.projectId,
        branch: input.branch,
        baseBranch: input.baseBranch,
        path: input.path,
        status: input.status ?? 'creating',
        setupStatus: input.setupStatus ?? 'none',
        initialRequest: input.initialRequest ? JSON.stringify(input.initialRequest) : null,
        now: now(),
      });
      return get(id)!;
    },
    get,
    getByBranch(projectId, branch) {
      const row = byBranch.get(projectId, branch);
      return row && toWorkspace(row);
    },
    getByPath(path) {
      const row = byPath.get(path);
      return row && toWorkspace(row);
    },
    list: (projectId) => (projectId === undefined ? all.all() : ofProject.all(projectId)).map(toWorkspace),
    findByIdPrefix: createFindByIdPrefix(db, 'workspaces', toWorkspace),
    update(id, patch) {
      const values: Record<string, unknown> = { ...patch };
      if ('initialRequest' in patch)
        values.initialRequest = patch.initialRequest ? JSON.stringify(patch.initialRequest) : null;
      patcher(id, values, now());
      return get(id);
    },
    remove: (id) => del.run(id).changes > 0,
  };
}
