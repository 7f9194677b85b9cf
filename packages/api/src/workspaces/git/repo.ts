import { BandApiError } from '../../errors.js';
import { GitCommandError, gitSucceeds, gitText, runGit } from './run-git.js';

export interface GitEnv {
  env?: NodeJS.ProcessEnv;
}

/** The top level of the working tree that contains `path`, or undefined when `path` is not in a git repository. */
export async function findRepositoryRoot(path: string, { env }: GitEnv = {}): Promise<string | undefined> {
  try {
    const isBare = await gitText(['rev-parse', '--is-bare-repository'], { cwd: path, env });
    if (isBare === 'true') {
      throw new BandApiError('INVALID_INPUT', `${path} is a bare repository`, {
        reason: 'BARE_REPOSITORY',
        hint: 'Register a clone with a working tree (git clone <url>), not a bare repository.',
      });
    }
    return await gitText(['rev-parse', '--show-toplevel'], { cwd: path, env });
  } catch (error) {
    if (error instanceof GitCommandError) return undefined;
    throw error;
  }
}

export async function hasCommits(repo: string, { env }: GitEnv = {}): Promise<boolean> {
  return gitSucceeds(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'], { cwd: repo, env });
}

export async function localBranchExists(repo: string, branch: string, { env }: GitEnv = {}): Promise<boolean> {
  return gitSucceeds(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}`], { cwd: repo, env });
}

/** Resolves a branch (or any commit-ish) to a commit id, or undefined when it does not exist. */
export async function resolveCommit(repo: string, rev: string, { env }: GitEnv = {}): Promise<string | undefined> {
  const { code, stdout } = await runGit(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{commit}`], {
    cwd: repo,
    env,
    okCodes: [0, 1, 128],
  });
  return code === 0 ? stdout.toString('utf8').trim() : undefined;
}

/**
 * The repository's default branch: the remote's HEAD (origin/HEAD) when known, else `main` or `master` when
 * they exist, else the branch currently checked out. Undefined for a detached HEAD with none of those.
 */
export async function detectDefaultBranch(repo: string, { env }: GitEnv = {}): Promise<string | undefined> {
  const { code, stdout } = await runGit(['symbolic-ref', '--quiet', '--short', 'refs/remotes/origin/HEAD'], {
    cwd: repo,
    env,
    okCodes: [0, 1, 128],
  });
  if (code === 0) {
    const remote = stdout
      .toString('utf8')
      .trim()
      .replace(/^origin\//, '');
    if (remote && (await localBranchExists(repo, remote, { env }))) return remote;
  }
  for (const candidate of ['main', 'master']) {
    if (await localBranchExists(repo, candidate, { env })) return candidate;
  }
  const head = await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], { cwd: repo, env, okCodes: [0, 1, 128] });
  const current = head.code === 0 ? head.stdout.toString('utf8').trim() : '';
  return current || undefined;
}

export interface WorktreeEntry {
  path: string;
  /** Short branch name, undefined when detached. */
  branch?: string;
  isPrunable: boolean;
}

/** `git worktree list --porcelain -z`. */
export async function listWorktrees(repo: string, { env }: GitEnv = {}): Promise<WorktreeEntry[]> {
  const out = (await runGit(['worktree', 'list', '--porcelain', '-z'], { cwd: repo, env })).stdout.toString('utf8');
  const entries: WorktreeEntry[] = [];
  let current: WorktreeEntry | undefined;
  for (const field of out.split('\0')) {
    if (field === '') {
      if (current) entries.push(current);
      current = undefined;
      continue;
    }
    if (field.startsWith('worktree ')) current = { path: field.slice('worktree '.length), isPrunable: false };
    else if (current && field.startsWith('branch '))
      current.branch = field.slice('branch '.length).replace(/^refs\/heads\//, '');
    else if (current && field.startsWith('prunable')) current.isPrunable = true;
  }
  if (current) entries.push(current);
  return entries;
}
