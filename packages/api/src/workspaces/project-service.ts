import { realpath, stat } from 'node:fs/promises';
import { basename, isAbsolute } from 'node:path';
import { isStoreError, type Project, type Store } from '@band/store';
import { BandApiError } from '../errors.js';
import { ensureBranchName } from './git/refs.js';
import { detectDefaultBranch, findRepositoryRoot, hasCommits, localBranchExists } from './git/repo.js';
import type { Logger } from '../internal/logger.js';
import {
  expandHome,
  type FindRepositoriesOptions,
  type FolderListing,
  type FoundRepository,
  findHomeRepositories,
  homeDirectory,
  listHomeFolder,
} from './home-folders.js';

export interface RegisterProjectInput {
  /** Absolute path of the repository (or any directory inside it: the top level is registered); `~/…` is expanded. */
  path: string;
  /** The CLI key; defaults to the directory name. */
  name?: string;
  /** Defaults to origin/HEAD, else main/master, else the current branch. */
  defaultBranch?: string;
}

export interface RemoveProjectInput {
  /** Project id, id prefix or name. */
  project: string;
  /**
   * Also remove the project's workspaces (running each teardown and deleting each worktree). Without it, a
   * project that still has workspaces is refused. The repository itself is never touched.
   * @default false
   */
  cascade?: boolean;
}

export interface RemoveProjectResult {
  project: Project;
  /** Ids of the workspaces removed with it. */
  removedWorkspaces: string[];
}

export interface ProjectService {
  /** Registers a git repository. Registering the same path again returns the existing project. */
  register(input: RegisterProjectInput): Promise<{ project: Project; created: boolean }>;
  list(): Project[];
  /** By id, name or unique id prefix. */
  resolve(ref: string): Project;
  remove(input: RemoveProjectInput): Promise<RemoveProjectResult>;
  /**
   * The sub-directories of a folder under the home directory (for a folder picker): confined to home like Files
   * is to a worktree. `path` is relative to home, `~/…`, or absolute inside home.
   */
  browse(input: { path?: string; showHidden?: boolean }): Promise<FolderListing>;
  /**
   * The git repositories under home (bounded depth and time), most recently active first; `registered` marks the added
   * ones.
   */
  discover(
    options?: FindRepositoriesOptions,
  ): Promise<{ home: string; repositories: Array<FoundRepository & { registered: boolean }>; truncated: boolean }>;
}

export interface ProjectServiceDeps {
  store: Store;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Removes one workspace (teardown + worktree); the workspace service's `remove`. */
  removeWorkspace(workspaceId: string): Promise<unknown>;
}

/** Letters and digits (any script), then also space . _ -; at most 100 characters. Used as a directory name. */
const PROJECT_NAME = /^[\p{L}\p{N}][\p{L}\p{N}\p{M} ._-]{0,99}$/u;

export function getProjectNameProblem(name: string): string | undefined {
  if (!PROJECT_NAME.test(name)) {
    return 'must start with a letter or digit and contain only letters, digits, spaces, ".", "_" and "-" (at most 100)';
  }
  if (name.endsWith('.') || name.endsWith(' ')) return 'must not end with "." or a space';
  return undefined;
}

/** Resolves a project by id, exact name, or unique id prefix. */
export function resolveProjectRecord(store: Store, ref: string): Project {
  const byId = store.projects.get(ref) ?? store.projects.getByName(ref);
  if (byId) return byId;
  if (ref.length >= 4) {
    const matches = store.projects.findByIdPrefix(ref);
    if (matches.length === 1) return matches[0]!;
    if (matches.length > 1) {
      throw new BandApiError(
        'INVALID_INPUT',
        `"${ref}" matches several projects: ${matches.map((p) => p.id).join(', ')}`,
        {
          reason: 'AMBIGUOUS_PROJECT',
          hint: 'Use the full project id or its name.',
        },
      );
    }
  }
  throw new BandApiError('NOT_FOUND', `Project not found: ${ref}`, {
    reason: 'PROJECT_NOT_FOUND',
    hint: 'Check the name against the list of projects, or register the repository first (projects.register).',
  });
}

export function createProjectService(deps: ProjectServiceDeps): ProjectService {
  const { store, env } = deps;
  return {
    browse: (input) => listHomeFolder(input, env),
    async discover(options) {
      const { repositories, truncated } = await findHomeRepositories(options, env);
      const registered = new Set(store.projects.list().map((p) => p.path));
      return {
        home: await realpath(homeDirectory(env)),
        repositories: repositories.map((r) => ({ ...r, registered: registered.has(r.path) })),
        truncated,
      };
    },
    async register(input) {
      input = { ...input, path: expandHome(input.path.trim(), homeDirectory(env)) };
      if (!isAbsolute(input.path)) {
        throw new BandApiError('INVALID_INPUT', `Project path must be absolute: ${input.path}`, {
          reason: 'PATH_NOT_ABSOLUTE',
          hint:
            'The server may run in another directory than your shell; pass an absolute path (or one ' +
            'starting with ~/).',
        });
      }
      let dir: string;
      try {
        dir = await realpath(input.path);
        if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
      } catch (error) {
        throw new BandApiError('INVALID_INPUT', `Not a directory: ${input.path}`, {
          reason: 'PATH_NOT_FOUND',
          cause: error,
        });
      }
      const root = await findRepositoryRoot(dir, { env });
      if (!root) {
        throw new BandApiError('INVALID_INPUT', `Not a git repository: ${input.path}`, {
          reason: 'NOT_A_GIT_REPOSITORY',
          hint: `Run \`git init\` there and make a first commit, or pass the path of an existing clone.`,
        });
      }
      const realRoot = await realpath(root);
      const existing = store.projects.getByPath(realRoot);
      if (existing && (input.name === undefined || input.name === existing.name))
        return { project: existing, created: false };
      if (existing) {
        throw new BandApiError('CONFLICT', `${realRoot} is already registered as "${existing.name}"`, {
          reason: 'PROJECT_EXISTS',
        });
      }
      if (!(await hasCommits(realRoot, { env }))) {
        throw new BandApiError('PRECONDITION_FAILED', `${realRoot} has no commits yet`, {
          reason: 'EMPTY_REPOSITORY',
          hint: 'Workspaces branch from a commit: make a first commit, then register the project.',
        });
      }
      const name = (input.name ?? basename(realRoot)).normalize('NFC');
      const problem = getProjectNameProblem(name);
      if (problem) {
        throw new BandApiError('INVALID_INPUT', `Project name ${JSON.stringify(name)} ${problem}`, {
          reason: 'INVALID_PROJECT_NAME',
          hint: input.name === undefined ? 'Pass a name explicitly.' : undefined,
        });
      }
      let defaultBranch: string | undefined;
      if (input.defaultBranch !== undefined) {
        defaultBranch = await ensureBranchName(input.defaultBranch, { cwd: realRoot, env, what: 'Default branch' });
        if (!(await localBranchExists(realRoot, defaultBranch, { env }))) {
          throw new BandApiError('INVALID_INPUT', `Branch "${defaultBranch}" does not exist in ${realRoot}`, {
            reason: 'BRANCH_NOT_FOUND',
          });
        }
      } else {
        defaultBranch = await detectDefaultBranch(realRoot, { env });
        if (!defaultBranch) {
          throw new BandApiError(
            'PRECONDITION_FAILED',
            `Cannot detect the default branch of ${realRoot} (detached HEAD)`,
            {
              reason: 'NO_DEFAULT_BRANCH',
              hint: 'Pass defaultBranch explicitly.',
            },
          );
        }
      }
      try {
        const project = store.projects.create({ name, path: realRoot, defaultBranch });
        deps.logger.info(`project registered: ${name} (${realRoot}, default branch ${defaultBranch})`);
        return { project, created: true };
      } catch (error) {
        if (isStoreError(error, 'CONFLICT')) {
          throw new BandApiError('CONFLICT', `A project named "${name}" already exists`, {
            reason: 'PROJECT_EXISTS',
            hint: 'Pick another name.',
            cause: error,
          });
        }
        throw error;
      }
    },
    list: () => store.projects.list(),
    resolve: (ref) => resolveProjectRecord(store, ref),
    async remove(input) {
      const project = resolveProjectRecord(store, input.project);
      const workspaces = store.workspaces.list(project.id);
      if (workspaces.length > 0 && !input.cascade) {
        throw new BandApiError(
          'PRECONDITION_FAILED',
          `Project "${project.name}" still has ${workspaces.length} workspace(s): ` +
            `${workspaces.map((w) => w.branch).join(', ')}`,
          {
            reason: 'PROJECT_HAS_WORKSPACES',
            hint:
              'Remove them first, or remove the project with cascade (each teardown runs and each ' +
              'worktree is deleted).',
          },
        );
      }
      const removedWorkspaces: string[] = [];
      for (const workspace of workspaces) {
        await deps.removeWorkspace(workspace.id);
        removedWorkspaces.push(workspace.id);
      }
      store.projects.remove(project.id);
      deps.logger.info(`project removed: ${project.name} (the repository at ${project.path} was not touched)`);
      return { project, removedWorkspaces };
    },
  };
}
