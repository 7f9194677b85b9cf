import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { WorkspaceHookEvent } from '../src/workspaces/workspace-types.js';
import { getWorktreePath } from '../src/workspaces/worktree-dirs.js';
import { createGitFixture, git, gitEnv, rejectsWith, writeFiles } from './fixtures/git-workspace.js';
import { waitFor } from './helpers.js';

/** Alive and not a zombie (in containers PID 1 may never reap orphans, so kill(pid, 0) is not enough). */
function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

async function registered(options?: Parameters<typeof createGitFixture>[0]) {
  const fx = createGitFixture(options);
  const { project } = await fx.projects.register({ path: fx.repo });
  return { ...fx, project };
}

describe('workspaces: create', () => {
  it('creates a worktree on a new branch from the default branch under <worktreesDir>/<project>/<branch>', async () => {
    const fx = await registered();
    const changed = vi.fn();
    fx.events.on('workspace.changed', changed);
    const { workspace, created } = await fx.workspaces.create({ project: 'app', branch: 'feat/login' });
    expect(created).toBe(true);
    expect(workspace).toMatchObject({
      branch: 'feat/login',
      baseBranch: 'main',
      path: join(fx.worktreesDir, 'app', 'feat', 'login'),
      status: 'ready',
      projectName: 'app',
    });
    expect(workspace.id).toMatch(/^ws_/);
    expect(readFileSync(join(workspace.path, 'README.md'), 'utf8')).toBe('# app\n');
    expect(git(workspace.path, 'rev-parse', '--abbrev-ref', 'HEAD').trim()).toBe('feat/login');
    expect(git(fx.repo, 'rev-parse', 'feat/login')).toBe(git(fx.repo, 'rev-parse', 'main'));
    expect(changed).toHaveBeenCalledWith(expect.objectContaining({ id: workspace.id, status: 'ready' }));
  });

  it('is idempotent: creating an existing workspace returns it and duplicates nothing', async () => {
    const fx = await registered();
    const first = await fx.workspaces.create({ project: 'app', branch: 'feat/x' });
    const second = await fx.workspaces.create({ project: 'app', branch: 'feat/x', base: 'main' });
    expect(second.created).toBe(false);
    expect(second.workspace.id).toBe(first.workspace.id);
    expect(fx.workspaces.list()).toHaveLength(1);
    expect(git(fx.repo, 'worktree', 'list').trim().split('\n')).toHaveLength(2);
  });

  it('creates one worktree when the same create races with itself', async () => {
    const fx = await registered();
    const results = await Promise.all([1, 2, 3].map(() => fx.workspaces.create({ project: 'app', branch: 'race' })));
    expect(new Set(results.map((r) => r.workspace.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it('branches from --base when given', async () => {
    const fx = await registered();
    git(fx.repo, 'checkout', '-q', '-b', 'develop');
    writeFiles(fx.repo, { 'dev.txt': 'dev\n' });
    git(fx.repo, 'add', '-A');
    git(fx.repo, 'commit', '-q', '-m', 'dev');
    git(fx.repo, 'checkout', '-q', 'main');
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'feat/from-dev', base: 'develop' });
    expect(workspace.baseBranch).toBe('develop');
    expect(existsSync(join(workspace.path, 'dev.txt'))).toBe(true);
  });

  it('checks out an existing branch instead of creating it', async () => {
    const fx = await registered();
    git(fx.repo, 'branch', 'existing');
    git(fx.repo, 'checkout', '-q', 'existing');
    writeFiles(fx.repo, { 'only-here.txt': 'x\n' });
    git(fx.repo, 'add', '-A');
    git(fx.repo, 'commit', '-q', '-m', 'on existing');
    git(fx.repo, 'checkout', '-q', 'main');
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'existing' });
    expect(existsSync(join(workspace.path, 'only-here.txt'))).toBe(true);
  });

  it('handles unicode branch names as nested directories', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'fëat/ünïcode-名前' });
    expect(workspace.path).toBe(join(fx.worktreesDir, 'app', 'fëat', 'ünïcode-名前'));
    expect(existsSync(join(workspace.path, 'README.md'))).toBe(true);
    expect(fx.workspaces.resolve('fëat/ünïcode-名前').id).toBe(workspace.id);
  });

  it('refuses hostile and invalid branch names before git can read them as options', async () => {
    const fx = await registered();
    const marker = join(fx.root, 'pwned');
    const bad = [
      '-b',
      '--upload-pack=touch ' + marker,
      `--exec=touch ${marker}`,
      'name with spaces',
      'tab\tname',
      '../../escape',
      'a..b',
      'feat/.hidden',
      'x.lock',
      '@{-1}',
      'HEAD',
      'ends/',
      'colon:name',
      'star*',
      'back\\slash',
      'nul\0byte',
      '',
      'x'.repeat(201),
    ];
    for (const branch of bad) {
      const error = await rejectsWith(
        fx.workspaces.create({ project: 'app', branch }),
        'INVALID_INPUT',
        'INVALID_BRANCH_NAME',
      );
      expect(error.hint).toMatch(/feat\/login/);
    }
    expect(existsSync(marker)).toBe(false);
    expect(fx.workspaces.list()).toEqual([]);
    expect(git(fx.repo, 'branch', '--format=%(refname:short)').trim()).toBe('main');
  });

  it(
    'refuses branch names with bidi controls or other invisible characters, ' +
      'and shows them escaped (issue 16, finding 10)',
    async () => {
      const fx = await registered();
      const invisible = [
        '\u202A',
        '\u202B',
        '\u202C',
        '\u202D',
        '\u202E',
        '\u2066',
        '\u2067',
        '\u2068',
        '\u2069',
        '\u200B',
        '\u200E',
        '\u200F',
        '\u2060',
        '\uFEFF',
        '\u00AD',
        '\u3164',
        '\u034F',
      ];
      for (const c of invisible) {
        const branch = `feat/${c}txt.exe`;
        const error = await rejectsWith(
          fx.workspaces.create({ project: 'app', branch }),
          'INVALID_INPUT',
          'INVALID_BRANCH_NAME',
        );
        expect(error.message).toContain('invisible');
        expect(error.message).not.toContain(c); // spelled out instead, e.g. feat/\u{202E}txt.exe
        expect(error.message).toContain(`\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`);
      }
      expect(fx.workspaces.list()).toEqual([]);
      // Visible non-ASCII letters stay welcome.
      await fx.workspaces.create({ project: 'app', branch: 'feat/größe-名前' });
    },
  );

  it('refuses a hostile base the same way', async () => {
    const fx = await registered();
    const marker = join(fx.root, 'pwned');
    await rejectsWith(
      fx.workspaces.create({ project: 'app', branch: 'ok', base: `--upload-pack=touch ${marker}` }),
      'INVALID_INPUT',
      'INVALID_BRANCH_NAME',
    );
    await rejectsWith(
      fx.workspaces.create({ project: 'app', branch: 'ok', base: 'missing-base' }),
      'NOT_FOUND',
      'BASE_NOT_FOUND',
    );
    expect(existsSync(marker)).toBe(false);
    expect(fx.workspaces.list()).toEqual([]);
  });

  it('refuses a branch that is checked out elsewhere (the main checkout)', async () => {
    const fx = await registered();
    const error = await rejectsWith(
      fx.workspaces.create({ project: 'app', branch: 'main' }),
      'CONFLICT',
      'BRANCH_CHECKED_OUT',
    );
    expect(error.message).toContain(fx.repo);
    expect(fx.workspaces.list()).toEqual([]);
  });

  it('explains a project whose repository was moved away, and git missing from PATH', async () => {
    const fx = await registered();
    const { renameSync } = await import('node:fs');
    renameSync(fx.repo, `${fx.repo}-moved`);
    await rejectsWith(
      fx.workspaces.create({ project: 'app', branch: 'x' }),
      'PRECONDITION_FAILED',
      'DIRECTORY_MISSING',
    );
    renameSync(`${fx.repo}-moved`, fx.repo);
    const { runGit } = await import('../src/workspaces/git/run-git.js');
    await rejectsWith(
      runGit(['status'], { cwd: fx.repo, env: { PATH: join(fx.root, 'empty-bin') } }),
      'UNAVAILABLE',
      'GIT_NOT_FOUND',
    );
  });

  it('a git command that fails says which, how it ended and the last of what git said', async () => {
    const fx = await registered();
    const { GitCommandError, runGit } = await import('../src/workspaces/git/run-git.js');
    const error = await runGit(['rev-parse', '--verify', 'no-such-branch'], { cwd: fx.repo }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitCommandError);
    const failed = error as InstanceType<typeof GitCommandError>;
    expect(failed.code).toBe('GIT_FAILED');
    expect(failed.exitCode).toBe(128);
    expect(failed.args).toEqual(['rev-parse', '--verify', 'no-such-branch']);
    expect(failed.message).toMatch(/^git rev-parse failed \(exit 128\): .*Needed a single revision/);
    expect(failed.stderr).toContain('Needed a single revision');
  });

  it('refuses a non-empty directory that is in the way, and an unknown project', async () => {
    const fx = await registered();
    writeFiles(join(fx.worktreesDir, 'app', 'taken'), { 'keep.txt': 'mine' });
    await rejectsWith(fx.workspaces.create({ project: 'app', branch: 'taken' }), 'CONFLICT', 'WORKTREE_PATH_TAKEN');
    expect(readFileSync(join(fx.worktreesDir, 'app', 'taken', 'keep.txt'), 'utf8')).toBe('mine');
    await rejectsWith(fx.workspaces.create({ project: 'nope', branch: 'x' }), 'NOT_FOUND', 'PROJECT_NOT_FOUND');
  });

  it('recreates a workspace whose worktree directory was deleted by hand', async () => {
    const fx = await registered();
    const first = await fx.workspaces.create({ project: 'app', branch: 'gone' });
    rmSync(first.workspace.path, { recursive: true, force: true });
    const again = await fx.workspaces.create({ project: 'app', branch: 'gone' });
    expect(again.created).toBe(true);
    expect(existsSync(join(again.workspace.path, 'README.md'))).toBe(true);
    expect(fx.workspaces.list()).toHaveLength(1);
  });

  it('recovers a workspace left "creating" by a server that stopped mid-create', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'interrupted' });
    fx.store.workspaces.update(workspace.id, { status: 'creating' });
    const again = await fx.workspaces.create({ project: 'app', branch: 'interrupted' });
    expect(again.workspace.status).toBe('ready');
    expect(again.workspace.path).toBe(workspace.path);
    expect(fx.workspaces.list()).toHaveLength(1);
  });

  it('adopts an existing worktree at the expected path when the record is missing', async () => {
    const fx = await registered();
    const path = getWorktreePath(fx.worktreesDir, 'app', 'adopt/me');
    git(fx.repo, 'worktree', 'add', '-q', '-b', 'adopt/me', path);
    const { workspace, created } = await fx.workspaces.create({ project: 'app', branch: 'adopt/me' });
    expect(created).toBe(true);
    expect(workspace.path).toBe(path);
    expect(workspace.status).toBe('ready');
  });

  it('stores prompt / agent / model / mode for the chats service', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({
      project: 'app',
      branch: 'with-prompt',
      prompt: 'Add a login page',
      agent: 'claude-code',
      model: 'sonnet',
      mode: 'plan',
    });
    expect(workspace.initialRequest).toEqual({
      prompt: 'Add a login page',
      agent: 'claude-code',
      model: 'sonnet',
      mode: 'plan',
    });
  });
});

describe('workspaces: setup', () => {
  it('runs .band/config.json setup in the new worktree, records its output and streams it', async () => {
    const fx = await registered({
      env: gitEnv({ BAND_TOKEN: 'd'.repeat(64), BAND_HOME: '/tmp/band-home', band_lower: '1' }),
    });
    writeFiles(fx.repo, {
      '.band/config.json': JSON.stringify({
        setup:
          'echo "hello from $BAND_BRANCH"; echo oops >&2; pwd > setup-ran; ' +
          'env | grep -i "^band_" | cut -d= -f1 | sort > band-env',
      }),
    });
    git(fx.repo, 'add', '-A');
    git(fx.repo, 'commit', '-q', '-m', 'config');
    const seen: WorkspaceHookEvent[] = [];
    fx.events.on('workspace.hook', (_id, event) => seen.push(event));

    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'feat/setup', waitForSetup: true });
    expect(workspace.setupStatus).toBe('completed');
    expect(workspace.setupExitCode).toBe(0);
    expect(workspace.setupOutput).toContain('hello from feat/setup');
    expect(workspace.setupOutput).toContain('oops');
    expect(readFileSync(join(workspace.path, 'setup-ran'), 'utf8').trim()).toBe(workspace.path);
    // Only the variables that describe the workspace; none of the server's own (BAND_TOKEN, BAND_HOME...).
    expect(readFileSync(join(workspace.path, 'band-env'), 'utf8').trim().split('\n')).toEqual([
      'BAND_BASE_BRANCH',
      'BAND_BRANCH',
      'BAND_PROJECT_NAME',
      'BAND_PROJECT_PATH',
      'BAND_WORKSPACE_ID',
      'BAND_WORKSPACE_PATH',
    ]);
    expect(seen[0]).toMatchObject({ phase: 'setup', type: 'started' });
    expect(
      seen
        .filter((e) => e.type === 'output')
        .map((e) => (e as { chunk: string }).chunk)
        .join(''),
    ).toContain('hello from');
    expect(seen.at(-1)).toMatchObject({ phase: 'setup', type: 'exited', status: 'completed', exitCode: 0 });
  });

  it('runs setup in the background by default and reports it through the store', async () => {
    const fx = await registered();
    writeFiles(fx.repo, { '.band/config.json': JSON.stringify({ setup: 'echo bg' }) });
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'bg' });
    await fx.workspaces.whenSetupSettled(workspace.id);
    expect(fx.store.workspaces.get(workspace.id)).toMatchObject({ setupStatus: 'completed', setupOutput: 'bg\n' });
  });

  it('keeps the workspace when setup fails, recording the exit code', async () => {
    const fx = await registered();
    // Falls back to the project root's config (a gitignored config on the main checkout).
    writeFiles(fx.repo, { '.band/config.json': JSON.stringify({ setup: 'echo failing; exit 3' }) });
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'broken', waitForSetup: true });
    expect(workspace).toMatchObject({ status: 'ready', setupStatus: 'failed', setupExitCode: 3 });
    expect(workspace.setupOutput).toContain('failing');
    expect(existsSync(workspace.path)).toBe(true);
  });

  it('reports an invalid config as a failed setup with the parse error', async () => {
    const fx = await registered();
    writeFiles(fx.repo, { '.band/config.json': '{ setup: nope' });
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'badcfg', waitForSetup: true });
    expect(workspace.setupStatus).toBe('failed');
    expect(workspace.setupOutput).toMatch(/Invalid .*config\.json/);
  });

  it('has setup status none without a config', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'nocfg', waitForSetup: true });
    expect(workspace.setupStatus).toBe('none');
  });

  it('close() stops a running setup and its children', async () => {
    const fx = await registered();
    const pidFile = join(fx.root, 'child.pid');
    writeFiles(fx.repo, {
      '.band/config.json': JSON.stringify({ setup: `sleep 60 & echo $! > '${pidFile}'; echo started; wait` }),
    });
    const started = new Promise<void>((resolve) =>
      fx.events.on('workspace.hook', (_id, e) => e.type === 'output' && resolve()),
    );
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'slow' });
    await started;
    expect(fx.store.workspaces.get(workspace.id)?.setupStatus).toBe('running');
    await fx.workspaces.close();
    expect(fx.store.workspaces.get(workspace.id)).toMatchObject({ setupStatus: 'failed' });
    expect(fx.store.workspaces.get(workspace.id)?.setupOutput).toContain('setup was stopped');
    const childPid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => expect(isRunning(childPid)).toBe(false));
    await rejectsWith(fx.workspaces.create({ project: 'app', branch: 'after' }), 'UNAVAILABLE', 'SHUTTING_DOWN');
  });

  it('re-runs setup on demand', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'rerun', waitForSetup: true });
    writeFiles(workspace.path, { '.band/config.json': JSON.stringify({ setup: 'echo again' }) });
    expect(await fx.workspaces.runSetup(workspace.id)).toMatchObject({
      setupStatus: 'completed',
      setupOutput: 'again\n',
    });
    rmSync(workspace.path, { recursive: true, force: true });
    await rejectsWith(fx.workspaces.runSetup(workspace.id), 'PRECONDITION_FAILED', 'WORKTREE_MISSING');
  });
});

describe('workspaces: remove', () => {
  it(
    'runs teardown first (inside the existing worktree), ' + 'then deletes the worktree, its record and empty parents',
    async () => {
      const fx = await registered();
      const log = join(fx.root, 'teardown.log');
      writeFiles(fx.repo, {
        '.band/config.json': JSON.stringify({ teardown: `test -f README.md && pwd >> '${log}'` }),
      });
      const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'feat/deep/branch' });
      const removed = vi.fn();
      fx.events.on('workspace.removed', removed);
      const result = await fx.workspaces.remove({ workspace: workspace.id });
      expect(result.teardown).toMatchObject({ status: 'completed', exitCode: 0 });
      expect(readFileSync(log, 'utf8').trim()).toBe(workspace.path);
      expect(existsSync(workspace.path)).toBe(false);
      expect(existsSync(join(fx.worktreesDir, 'app', 'feat'))).toBe(false);
      expect(fx.store.workspaces.get(workspace.id)).toBeUndefined();
      expect(git(fx.repo, 'worktree', 'list')).not.toContain('feat/deep');
      expect(git(fx.repo, 'branch', '--list', 'feat/deep/branch')).toContain('feat/deep/branch');
      expect(result.isBranchDeleted).toBe(false);
      expect(removed).toHaveBeenCalledWith(workspace.id, workspace.projectId);
    },
  );

  it('keeps going when teardown fails', async () => {
    const fx = await registered();
    writeFiles(fx.repo, { '.band/config.json': JSON.stringify({ teardown: 'echo bye; exit 9' }) });
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'td-fail' });
    const result = await fx.workspaces.remove({ workspace: 'td-fail', project: 'app' });
    expect(result.teardown).toMatchObject({ status: 'failed', exitCode: 9, output: 'bye\n' });
    expect(existsSync(workspace.path)).toBe(false);
  });

  it('removes a worktree with uncommitted and untracked files', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'dirty' });
    writeFiles(workspace.path, { 'README.md': 'changed\n', 'new/file.txt': 'new\n' });
    await fx.workspaces.remove({ workspace: workspace.id });
    expect(existsSync(workspace.path)).toBe(false);
  });

  it('deletes a merged branch on request, keeps an unmerged one unless forced', async () => {
    const fx = await registered();
    const merged = (await fx.workspaces.create({ project: 'app', branch: 'merged' })).workspace;
    expect(await fx.workspaces.remove({ workspace: merged.id, deleteBranch: true })).toMatchObject({
      isBranchDeleted: true,
    });
    expect(git(fx.repo, 'branch', '--list', 'merged').trim()).toBe('');

    const ahead = (await fx.workspaces.create({ project: 'app', branch: 'ahead' })).workspace;
    writeFiles(ahead.path, { 'x.txt': 'x\n' });
    git(ahead.path, 'add', '-A');
    git(ahead.path, 'commit', '-q', '-m', 'work');
    const kept = await fx.workspaces.remove({ workspace: ahead.id, deleteBranch: true });
    expect(kept.isBranchDeleted).toBe(false);
    expect(kept.branchKeptReason).toMatch(/unmerged/);
    expect(git(fx.repo, 'branch', '--list', 'ahead')).toContain('ahead');

    const again = (await fx.workspaces.create({ project: 'app', branch: 'ahead' })).workspace;
    expect(await fx.workspaces.remove({ workspace: again.id, deleteBranch: true, force: true })).toMatchObject({
      isBranchDeleted: true,
    });
  });

  it('removes a workspace whose directory is already gone', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'vanished' });
    rmSync(workspace.path, { recursive: true, force: true });
    await fx.workspaces.remove({ workspace: workspace.id });
    expect(fx.workspaces.list()).toEqual([]);
    expect(git(fx.repo, 'worktree', 'list')).not.toContain('vanished');
  });

  it('calls before-remove hooks (the chats service stops agents there) and survives a failing one', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'hooked' });
    const calls: string[] = [];
    fx.workspaces.addBeforeRemoveHook(() => {
      throw new Error('boom');
    });
    const off = fx.workspaces.addBeforeRemoveHook((ws) => {
      calls.push(ws.id);
    });
    await fx.workspaces.remove({ workspace: workspace.id });
    expect(calls).toEqual([workspace.id]);
    off();
  });

  it('never deletes a directory outside worktreesDir, even if the record says so', async () => {
    const fx = await registered();
    const outside = join(fx.root, 'precious');
    writeFiles(outside, { 'data.txt': 'keep' });
    const ws = fx.store.workspaces.create({
      projectId: fx.project.id,
      branch: 'rogue',
      baseBranch: 'main',
      path: outside,
      status: 'ready',
    });
    await fx.workspaces.remove({ workspace: ws.id });
    expect(readFileSync(join(outside, 'data.txt'), 'utf8')).toBe('keep');
  });
});

describe('workspaces: lookup', () => {
  it('resolves by id, id prefix, branch, branch within a project, and a path inside the worktree', async () => {
    const fx = await registered();
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'feat/lookup' });
    expect(fx.workspaces.resolve(workspace.id).id).toBe(workspace.id);
    expect(fx.workspaces.resolve(workspace.id.slice(0, 6)).id).toBe(workspace.id);
    expect(fx.workspaces.resolve('feat/lookup').id).toBe(workspace.id);
    expect(fx.workspaces.resolve('feat/lookup', { project: 'app' }).id).toBe(workspace.id);
    expect(fx.workspaces.resolve(join(workspace.path, 'src', 'deep')).id).toBe(workspace.id);
    expect(fx.workspaces.list({ project: 'app' }).map((w) => [w.projectName, w.branch])).toEqual([
      ['app', 'feat/lookup'],
    ]);
    await rejectsWith(
      Promise.resolve().then(() => fx.workspaces.resolve('nope')),
      'NOT_FOUND',
      'WORKSPACE_NOT_FOUND',
    );
    await rejectsWith(
      Promise.resolve().then(() => fx.workspaces.resolve('/elsewhere')),
      'NOT_FOUND',
    );
  });

  it('reports an ambiguous branch across projects', async () => {
    const fx = await registered();
    const { initRepo } = await import('./fixtures/git-workspace.js');
    const other = initRepo(join(fx.root, 'repos', 'other'));
    await fx.projects.register({ path: other });
    await fx.workspaces.create({ project: 'app', branch: 'same' });
    await fx.workspaces.create({ project: 'other', branch: 'same' });
    await rejectsWith(
      Promise.resolve().then(() => fx.workspaces.resolve('same')),
      'INVALID_INPUT',
      'AMBIGUOUS_WORKSPACE',
    );
    expect(fx.workspaces.resolve('same', { project: 'other' }).projectId).not.toBe(fx.project.id);
  });
});

describe('getWorktreePath', () => {
  it('nests slashed branches and never leaves worktreesDir', () => {
    expect(getWorktreePath('/wt', 'app', 'feat/x')).toBe('/wt/app/feat/x');
    expect(() => getWorktreePath('/wt', 'app', '../../../etc')).toThrow(/does not map/);
  });
});
