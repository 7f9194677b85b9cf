// Projects' workspaces: a git worktree per branch, its record in band.db, and its setup and teardown commands.
// Create and remove are serialised per project; the hooks (workspace-hooks.ts) and the directories
// (worktree-dirs.ts) have their own modules.
import { existsSync } from 'node:fs';
import { mkdir, rmdir } from 'node:fs/promises';
import { dirname, isAbsolute, join, sep } from 'node:path';
import type { SettingsStore } from '@band/settings';
import { isStoreError, type InitialRequest, type Project, type Store, type Workspace } from '@band/store';
import { BandApiError } from '../errors.js';
import { streamEvents, type TypedEmitter } from '../events.js';
import type { Logger } from '../internal/logger.js';
import { ensureBranchName } from './git/refs.js';
import { listWorktrees, localBranchExists, resolveCommit } from './git/repo.js';
import { GitCommandError, runGit } from './git/run-git.js';
import { resolveProjectRecord } from './project-service.js';
import { createWorkspaceHooks } from './workspace-hooks.js';
import type {
  BeforeRemoveHook,
  CreateWorkspaceInput,
  CreateWorkspaceResult,
  RemoveWorkspaceInput,
  RemoveWorkspaceResult,
  WorkspaceEvents,
  WorkspaceStreamEvent,
  WorkspaceView,
} from './workspace-types.js';
import { deleteWorktreeDir, getWorktreePath, isEmptyDir, realpathOrSelf, removeEmptyParents } from './worktree-dirs.js';

export interface WorkspaceService {
  list(input?: { project?: string }): WorkspaceView[];
  get(ref: string, options?: { project?: string }): WorkspaceView;
  /**
   * Finds a workspace by id, unique id prefix, branch (unique across projects, or within `project`), or an
   * absolute path inside its worktree (the CLI passes its cwd). Throws NOT_FOUND or INVALID_INPUT (ambiguous).
   */
  resolve(ref: string, options?: { project?: string }): Workspace;
  /** Creates the worktree (idempotent), records it, then runs `setup` (in the background unless `waitForSetup`). */
  create(input: CreateWorkspaceInput): Promise<CreateWorkspaceResult>;
  /** Runs teardown (non-fatal), deletes the worktree, optionally the branch, and the record (cascading to chats). */
  remove(input: RemoveWorkspaceInput): Promise<RemoveWorkspaceResult>;
  /** Re-runs `setup` in an existing workspace. */
  runSetup(ref: string): Promise<WorkspaceView>;
  /** Resolves when no setup is running for the workspace. */
  whenSetupSettled(workspaceId: string): Promise<void>;
  /**
   * Workspace changes and setup/teardown output as they happen (all workspaces, or one). Not resumable:
   * a client that reconnects re-reads `list`/`get`. Ends when `signal` aborts.
   */
  subscribe(input?: { workspaceId?: string }, signal?: AbortSignal): AsyncGenerator<WorkspaceStreamEvent>;
  /** Registers a hook that runs before any workspace is removed. Returns an unregister function. */
  addBeforeRemoveHook(hook: BeforeRemoveHook): () => void;
  /** Stops running setup/teardown commands. Idempotent. */
  close(): Promise<void>;
}

export interface WorkspaceServiceDeps {
  store: Store;
  settings: Pick<SettingsStore, 'get'>;
  events: TypedEmitter<WorkspaceEvents>;
  logger: Logger;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default 1_800_000 */
  hookTimeoutMs?: number;
  /**
   * Called once a newly created workspace's setup has settled (whatever its outcome). The server uses it to
   * start the chat of `--prompt` (`chats.runInitialRequest`). Errors are logged.
   */
  onReady?: (workspace: Workspace) => unknown;
}

/** Live events buffered per subscriber beyond which setup output is dropped (a slow phone must not grow memory). */
const MAX_QUEUED_EVENTS = 2_000;

/** See `WorkspaceService.resolve`. */
export function resolveWorkspaceRecord(store: Store, ref: string, options: { project?: string } = {}): Workspace {
  const exact = store.workspaces.get(ref);
  if (exact) return exact;
  if (options.project !== undefined) {
    const project = resolveProjectRecord(store, options.project);
    const byBranch =
      store.workspaces.getByBranch(project.id, ref) ??
      store.workspaces.findByIdPrefix(ref).find((w) => w.projectId === project.id);
    if (byBranch) return byBranch;
    throw workspaceNotFound(`${ref} in project ${project.name}`);
  }
  if (isAbsolute(ref)) {
    const inside = store.workspaces
      .list()
      .filter((w) => ref === w.path || ref.startsWith(w.path.endsWith(sep) ? w.path : w.path + sep))
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (inside) return inside;
    throw workspaceNotFound(ref);
  }
  const candidates = new Map<string, Workspace>();
  if (ref.length >= 4) for (const w of store.workspaces.findByIdPrefix(ref)) candidates.set(w.id, w);
  if (candidates.size === 0) for (const w of store.workspaces.list()) if (w.branch === ref) candidates.set(w.id, w);
  if (candidates.size === 1) return [...candidates.values()][0]!;
  if (candidates.size > 1) {
    throw new BandApiError(
      'INVALID_INPUT',
      `"${ref}" matches several workspaces: ${[...candidates.keys()].join(', ')}`,
      {
        reason: 'AMBIGUOUS_WORKSPACE',
        hint: 'Pass the workspace id, or the project together with the branch.',
      },
    );
  }
  throw workspaceNotFound(ref);
}

function workspaceNotFound(what: string): BandApiError {
  return new BandApiError('NOT_FOUND', `Workspace not found: ${what}`, {
    reason: 'WORKSPACE_NOT_FOUND',
    hint: 'List workspaces with `band workspaces list`.',
  });
}

export function createWorkspaceService(deps: WorkspaceServiceDeps): WorkspaceService {
  const { store, events, logger } = deps;
  const env = deps.env ?? process.env;
  const beforeRemoveHooks = new Set<BeforeRemoveHook>();
  const locks = new Map<string, Promise<unknown>>();
  let closing: Promise<void> | undefined;

  /** Serialises create/remove per project: two `create feat/x` racing must produce one worktree. */
  function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => {});
    locks.set(key, tail);
    void tail.then(() => {
      if (locks.get(key) === tail) locks.delete(key);
    });
    return next;
  }

  const view = (workspace: Workspace, project?: Project): WorkspaceView => ({
    ...workspace,
    projectName: (project ?? store.projects.get(workspace.projectId))?.name ?? '',
  });

  const update = (id: string, patch: Parameters<Store['workspaces']['update']>[1]) => {
    const next = store.workspaces.update(id, patch);
    if (next) events.emit('workspace.changed', next);
    return next;
  };

  const hooks = createWorkspaceHooks({ store, events, logger, env, hookTimeoutMs: deps.hookTimeoutMs, update });

  const getWorktreesDir = () => {
    const dir = deps.settings.get().worktreesDir;
    if (!isAbsolute(dir)) {
      throw new BandApiError(
        'PRECONDITION_FAILED',
        `worktreesDir must be an absolute path, got ${JSON.stringify(dir)}`,
        {
          reason: 'BAD_WORKTREES_DIR',
          hint: 'Set it with `band settings set worktreesDir /absolute/path`.',
        },
      );
    }
    return dir;
  };

  const ensureOpen = () => {
    if (closing) throw new BandApiError('UNAVAILABLE', 'The Band server is shutting down', { reason: 'SHUTTING_DOWN' });
  };

  // --- create ---

  async function createLocked(
    input: CreateWorkspaceInput,
    project: Project,
    branch: string,
  ): Promise<CreateWorkspaceResult> {
    const existing = store.workspaces.getByBranch(project.id, branch);
    if (existing && existing.status === 'ready' && existsSync(existing.path)) {
      return { workspace: view(existing, project), created: false };
    }
    if (existing) {
      // Under the project lock no other create or remove is running, so this record is stale: its worktree was
      // deleted by hand, or a server stopped mid-create ('creating') or mid-remove ('removing'). Start over; a
      // worktree git still has at the same path is adopted below.
      store.workspaces.remove(existing.id);
      await runGit(['worktree', 'prune'], { cwd: project.path, env }).catch(() => {});
    }
    if (!existsSync(project.path)) {
      throw new BandApiError(
        'PRECONDITION_FAILED',
        `The repository of project "${project.name}" is gone: ${project.path}`,
        {
          reason: 'PROJECT_PATH_MISSING',
          hint: 'Restore it, or remove the project and register it again.',
        },
      );
    }
    const base = await ensureBranchName(input.base ?? project.defaultBranch, {
      cwd: project.path,
      env,
      what: 'Base branch',
    });
    const worktreesDir = getWorktreesDir();
    const path = getWorktreePath(worktreesDir, project.name, branch);

    // Compare real paths: git records resolved paths, worktreesDir may go through a symlink (/tmp on macOS).
    const realTarget = await realpathOrSelf(path);
    const worktrees = await Promise.all(
      (await listWorktrees(project.path, { env })).map(async (w) => ({ ...w, real: await realpathOrSelf(w.path) })),
    );
    const adoptable = worktrees.find((w) => w.real === realTarget && w.branch === branch && !w.isPrunable);
    const isBranchTaken = worktrees.find((w) => w.branch === branch && w.real !== realTarget && !w.isPrunable);
    if (isBranchTaken) {
      throw new BandApiError('CONFLICT', `Branch "${branch}" is already checked out at ${isBranchTaken.path}`, {
        reason: 'BRANCH_CHECKED_OUT',
        hint:
          'A branch can be checked out in one worktree only: pick another branch name, or switch that ' +
          'checkout to another branch.',
      });
    }
    if (!adoptable && existsSync(path) && !(await isEmptyDir(path))) {
      throw new BandApiError('CONFLICT', `${path} already exists and is not this workspace's worktree`, {
        reason: 'WORKTREE_PATH_TAKEN',
        hint: 'Move or delete that directory, or pick another branch name.',
      });
    }

    const hasBranch = await localBranchExists(project.path, branch, { env });
    let baseCommit: string | undefined;
    if (!hasBranch) {
      baseCommit = await resolveCommit(project.path, base, { env });
      if (!baseCommit) {
        throw new BandApiError('NOT_FOUND', `Base branch "${base}" does not exist in ${project.name}`, {
          reason: 'BASE_NOT_FOUND',
          hint: `Check \`git branch --all\` in ${project.path}.`,
        });
      }
    }

    const initialRequest = pickInitialRequest(input);
    let record: Workspace;
    try {
      record = store.workspaces.create({
        projectId: project.id,
        branch,
        baseBranch: base,
        path,
        status: 'creating',
        initialRequest,
      });
    } catch (error) {
      if (isStoreError(error, 'CONFLICT')) {
        throw new BandApiError('CONFLICT', `Another workspace already uses ${path}`, {
          reason: 'WORKTREE_PATH_TAKEN',
          cause: error,
        });
      }
      throw error;
    }
    try {
      if (!adoptable) {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        // Argument arrays only; every user-derived value was validated, and `--` ends the options before the path.
        const args = hasBranch
          ? ['worktree', 'add', '--', path, branch]
          : ['worktree', 'add', '--no-track', '-b', branch, '--', path, baseCommit!];
        await runGit(args, { cwd: project.path, env, timeoutMs: 300_000 });
      }
    } catch (error) {
      store.workspaces.remove(record.id);
      if (!adoptable && existsSync(path) && (await isEmptyDir(path))) await rmdir(path).catch(() => {});
      await removeEmptyParents(dirname(path), join(worktreesDir, project.name));
      throw gitFailure(`Could not create the worktree for "${branch}"`, error);
    }
    const ready = update(record.id, { status: 'ready' })!;
    logger.info(`workspace created: ${project.name}/${branch} at ${path}`);
    const setup = hooks.startSetup(ready, project).then(async () => {
      const current = store.isOpen ? store.workspaces.get(record.id) : undefined;
      if (!current || !deps.onReady || closing) return;
      try {
        await deps.onReady(current);
      } catch (error) {
        logger.error(`starting the initial request of ${record.id} failed: ${(error as Error).message}`);
      }
    });
    if (input.waitForSetup) await setup;
    return { workspace: view(store.workspaces.get(record.id) ?? ready, project), created: true };
  }

  // --- remove ---

  async function removeLocked(
    workspace: Workspace,
    project: Project | undefined,
    input: RemoveWorkspaceInput,
  ): Promise<RemoveWorkspaceResult> {
    await hooks.stopSetup(workspace.id);
    for (const hook of beforeRemoveHooks) {
      try {
        await hook(workspace);
      } catch (error) {
        logger.warn(`a before-remove hook failed for ${workspace.id}: ${(error as Error).message}`);
      }
    }
    update(workspace.id, { status: 'removing' });

    // --- teardown: runs first, while the worktree still exists; non-fatal ---
    const teardown: RemoveWorkspaceResult['teardown'] =
      project && existsSync(workspace.path)
        ? await hooks.runTeardown(workspace, project)
        : { status: 'none', exitCode: null, output: '' };

    // --- worktree ---
    const worktreesDir = getWorktreesDir();
    if (project && existsSync(project.path)) {
      try {
        // --force twice: also removes a locked worktree and one with untracked or modified files (the user asked).
        await runGit(['worktree', 'remove', '--force', '--force', '--', workspace.path], { cwd: project.path, env });
      } catch (error) {
        logger.debug(`git worktree remove failed (${(error as Error).message}); deleting the directory`);
      }
      await deleteLeftover(workspace.path, worktreesDir);
      await runGit(['worktree', 'prune'], { cwd: project.path, env }).catch(() => {});
    } else {
      await deleteLeftover(workspace.path, worktreesDir);
    }
    if (project) await removeEmptyParents(dirname(workspace.path), join(worktreesDir, project.name));

    // --- branch ---
    let isBranchDeleted = false;
    let branchKeptReason: string | undefined;
    if (input.deleteBranch && project && existsSync(project.path)) {
      try {
        await runGit(['branch', input.force ? '-D' : '-d', '--', workspace.branch], { cwd: project.path, env });
        isBranchDeleted = true;
      } catch (error) {
        const stderr = error instanceof GitCommandError ? error.stderr : String(error);
        branchKeptReason = /not fully merged/.test(stderr)
          ? `branch "${workspace.branch}" has unmerged commits (remove with force to delete it anyway)`
          : `git branch -d failed: ${stderr.trim().split('\n').pop()}`;
      }
    }

    store.workspaces.remove(workspace.id);
    events.emit('workspace.removed', workspace.id, workspace.projectId);
    logger.info(`workspace removed: ${workspace.branch} (${workspace.path})`);
    return { workspaceId: workspace.id, path: workspace.path, teardown, isBranchDeleted, branchKeptReason };
  }

  async function deleteLeftover(path: string, worktreesDir: string): Promise<void> {
    if ((await deleteWorktreeDir(path, worktreesDir)) === 'outside')
      logger.warn(`not deleting ${path}: it is outside worktreesDir (${worktreesDir})`);
  }

  return {
    list(input = {}) {
      const project = input.project === undefined ? undefined : resolveProjectRecord(store, input.project);
      const projects = new Map(store.projects.list().map((p) => [p.id, p]));
      return store.workspaces.list(project?.id).map((w) => view(w, projects.get(w.projectId)));
    },
    get: (ref, options) => view(resolveWorkspaceRecord(store, ref, options)),
    resolve: (ref, options) => resolveWorkspaceRecord(store, ref, options),
    async create(input) {
      ensureOpen();
      const project = resolveProjectRecord(store, input.project);
      const branch = await ensureBranchName(input.branch, { cwd: project.path, env });
      return withLock(project.id, () => createLocked(input, project, branch));
    },
    async remove(input) {
      ensureOpen();
      const workspace = resolveWorkspaceRecord(store, input.workspace, { project: input.project });
      const project = store.projects.get(workspace.projectId);
      return withLock(workspace.projectId, async () => {
        const current = store.workspaces.get(workspace.id);
        if (!current) throw workspaceNotFound(workspace.id);
        return removeLocked(current, project, input);
      });
    },
    async runSetup(ref) {
      ensureOpen();
      const workspace = resolveWorkspaceRecord(store, ref);
      const project = store.projects.get(workspace.projectId)!;
      if (!existsSync(workspace.path)) {
        throw new BandApiError(
          'PRECONDITION_FAILED',
          `The worktree of ${workspace.branch} is missing: ${workspace.path}`,
          {
            reason: 'WORKTREE_MISSING',
            hint: 'Create the workspace again to restore it.',
          },
        );
      }
      if (hooks.isSetupRunning(workspace.id)) {
        throw new BandApiError('CONFLICT', 'Setup is already running in this workspace', { reason: 'SETUP_RUNNING' });
      }
      await hooks.startSetup(workspace, project);
      return view(store.workspaces.get(workspace.id) ?? workspace, project);
    },
    whenSetupSettled: (workspaceId) => hooks.whenSetupSettled(workspaceId),
    async *subscribe(input = {}, signal) {
      const wanted = (id: string) => input.workspaceId === undefined || input.workspaceId === id;
      yield* streamEvents<WorkspaceStreamEvent>(
        (push) => [
          events.on('workspace.changed', (workspace) => wanted(workspace.id) && push({ type: 'changed', workspace })),
          events.on(
            'workspace.removed',
            (workspaceId, projectId) => wanted(workspaceId) && push({ type: 'removed', workspaceId, projectId }),
          ),
          events.on(
            'workspace.hook',
            (workspaceId, event) => wanted(workspaceId) && push({ type: 'hook', workspaceId, event }),
          ),
        ],
        signal,
        // Setup output is the only flood; lifecycle events are never dropped.
        (event, queued) => queued >= MAX_QUEUED_EVENTS && event.type === 'hook' && event.event.type === 'output',
      );
    },
    addBeforeRemoveHook(hook) {
      beforeRemoveHooks.add(hook);
      return () => beforeRemoveHooks.delete(hook);
    },
    close() {
      closing ??= hooks.close();
      return closing;
    },
  };
}

function pickInitialRequest(input: CreateWorkspaceInput): InitialRequest | null {
  const request: InitialRequest = {};
  if (input.prompt) request.prompt = input.prompt;
  if (input.agent) request.agent = input.agent;
  if (input.model) request.model = input.model;
  if (input.mode) request.mode = input.mode;
  if (input.maxTurns !== undefined) request.maxTurns = input.maxTurns;
  return Object.keys(request).length ? request : null;
}

function gitFailure(message: string, error: unknown): unknown {
  if (!(error instanceof GitCommandError)) return error;
  const detail = error.stderr.trim().split('\n').filter(Boolean).pop() ?? `exit ${error.exitCode}`;
  if (/already (checked out|used by worktree)/.test(error.stderr)) {
    return new BandApiError('CONFLICT', `${message}: ${detail}`, { reason: 'BRANCH_CHECKED_OUT', cause: error });
  }
  return new BandApiError('INTERNAL', `${message}: ${detail}`, { reason: 'GIT_FAILED', cause: error });
}
