import { existsSync, linkSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isBinaryPatch, parseNameStatus, parseNumstat, truncateAtLine } from '../src/workspaces/git/parse.js';
import { createWorkspaceFixture, git, gitEnv, rejectsWith, writeFiles } from './fixtures/git-workspace.js';

const BASE_FILES = {
  'README.md': '# app\n',
  'src/keep.ts': 'export const keep = 1;\n',
  'src/old-name.ts': 'export const moved = true;\n'.repeat(5),
  'doomed.txt': 'bye\n',
};

/** A workspace with one commit on its branch and a mix of uncommitted changes. */
async function workspaceWithChanges() {
  const fx = await createWorkspaceFixture({ files: BASE_FILES });
  writeFiles(fx.wt, { 'committed.txt': 'on the branch\n' });
  git(fx.wt, 'add', '-A');
  git(fx.wt, 'commit', '-q', '-m', 'branch work');
  writeFiles(fx.wt, { 'README.md': '# app\n\nmore\n', 'staged-new.ts': 'new\n', 'untracked dir/notes ü.md': 'a\nb\n' });
  git(fx.wt, 'add', 'staged-new.ts');
  git(fx.wt, 'mv', 'src/old-name.ts', 'src/new-name.ts');
  unlinkSync(join(fx.wt, 'doomed.txt'));
  return fx;
}

describe('changes: status', () => {
  it('lists every change against the base with M/A/D/R/U badges and line counts', async () => {
    const fx = await workspaceWithChanges();
    const status = await fx.changes.status({ workspace: fx.workspace.id });
    expect(status).toMatchObject({ branch: 'feat/x', baseBranch: 'main', against: 'base', ahead: 1, behind: 0 });
    const byPath = Object.fromEntries(status.files.map((f) => [f.path, f]));
    expect(byPath['README.md']).toMatchObject({ status: 'M', additions: 2, deletions: 0, binary: false });
    expect(byPath['committed.txt']).toMatchObject({ status: 'A', additions: 1 });
    expect(byPath['staged-new.ts']).toMatchObject({ status: 'A' });
    expect(byPath['doomed.txt']).toMatchObject({ status: 'D', deletions: 1 });
    expect(byPath['src/new-name.ts']).toMatchObject({ status: 'R', oldPath: 'src/old-name.ts' });
    expect(byPath['untracked dir/notes ü.md']).toMatchObject({ status: 'U', additions: 2, deletions: 0 });
    expect(byPath['src/keep.ts']).toBeUndefined();
  });

  it('against uncommitted leaves out what the branch already committed', async () => {
    const fx = await workspaceWithChanges();
    const status = await fx.changes.status({ workspace: fx.workspace.id, against: 'uncommitted' });
    expect(status.files.map((f) => f.path)).not.toContain('committed.txt');
    expect(status.files.map((f) => f.path)).toContain('README.md');
  });

  it('caps the list of changed files and says so', async () => {
    const fx = await createWorkspaceFixture({ change: { maxFiles: 3 } });
    writeFiles(fx.wt, Object.fromEntries(Array.from({ length: 6 }, (_, i) => [`gen/f${i}.txt`, `${i}\n`])));
    const status = await fx.changes.status({ workspace: fx.workspace.id });
    expect(status.truncated).toBe(true);
    expect(status.files.map((f) => f.path)).toEqual(['gen/f0.txt', 'gen/f1.txt', 'gen/f2.txt']);
  });

  it('explains a worktree that was deleted by hand', async () => {
    const fx = await createWorkspaceFixture();
    rmSync(fx.wt, { recursive: true, force: true });
    await rejectsWith(fx.changes.status({ workspace: fx.workspace.id }), 'PRECONDITION_FAILED', 'WORKTREE_MISSING');
    await rejectsWith(fx.files.list({ workspace: fx.workspace.id }), 'PRECONDITION_FAILED', 'WORKTREE_MISSING');
  });

  it('reports behind when the base moved on', async () => {
    const fx = await createWorkspaceFixture();
    writeFiles(fx.repo, { 'upstream.txt': 'u\n' });
    git(fx.repo, 'add', '-A');
    git(fx.repo, 'commit', '-q', '-m', 'upstream');
    const status = await fx.changes.status({ workspace: fx.workspace.id });
    expect(status).toMatchObject({ ahead: 0, behind: 1, files: [] });
  });
});

describe('changes: diff', () => {
  it('returns a unified patch for a modified file, an untracked file and a rename', async () => {
    const fx = await workspaceWithChanges();
    const readme = await fx.changes.diff({ workspace: fx.workspace.id, path: 'README.md' });
    expect(readme).toMatchObject({ status: 'M', binary: false, tooLarge: false, truncated: false });
    expect(readme.patch).toContain('+more');
    expect(readme.patch).toContain('@@');

    const untracked = await fx.changes.diff({ workspace: fx.workspace.id, path: 'untracked dir/notes ü.md' });
    expect(untracked.status).toBe('U');
    expect(untracked.patch).toContain('+a\n+b');

    const renamed = await fx.changes.diff({ workspace: fx.workspace.id, path: 'src/new-name.ts' });
    expect(renamed.patch).toContain('rename from src/old-name.ts');
    expect(renamed.patch).toContain('rename to src/new-name.ts');

    const committed = await fx.changes.diff({ workspace: fx.workspace.id, path: 'committed.txt' });
    expect(committed.patch).toContain('+on the branch');
  });

  it('says binary instead of returning bytes', async () => {
    const fx = await createWorkspaceFixture();
    writeFiles(fx.wt, { 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2, 0, 255]) });
    const status = await fx.changes.status({ workspace: fx.workspace.id });
    expect(status.files[0]).toMatchObject({ path: 'logo.png', status: 'U', binary: true });
    expect(await fx.changes.diff({ workspace: fx.workspace.id, path: 'logo.png' })).toMatchObject({
      binary: true,
      patch: null,
    });
    git(fx.wt, 'add', '-A');
    expect(await fx.changes.diff({ workspace: fx.workspace.id, path: 'logo.png' })).toMatchObject({
      status: 'A',
      binary: true,
      patch: null,
    });
  });

  it('skips files above the size cap and cuts long patches at a line boundary', async () => {
    const fx = await createWorkspaceFixture({ change: { maxFileBytes: 10_000, maxPatchBytes: 2_000 } });
    writeFiles(fx.wt, {
      'huge.txt': 'x'.repeat(20_000),
      'long.txt': Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n'),
    });
    expect(await fx.changes.diff({ workspace: fx.workspace.id, path: 'huge.txt' })).toMatchObject({
      tooLarge: true,
      patch: null,
    });
    const long = await fx.changes.diff({ workspace: fx.workspace.id, path: 'long.txt' });
    expect(long.truncated).toBe(true);
    expect(Buffer.byteLength(long.patch!)).toBeLessThanOrEqual(2_000);
    expect(long.patch!.endsWith('\n')).toBe(true);
  });

  it('refuses traversal, absolute and .git paths, and treats pathspec magic literally', async () => {
    const fx = await workspaceWithChanges();
    const ws = fx.workspace.id;
    await rejectsWith(
      fx.changes.diff({ workspace: ws, path: '../../etc/passwd' }),
      'FORBIDDEN',
      'PATH_OUTSIDE_WORKSPACE',
    );
    await rejectsWith(fx.changes.diff({ workspace: ws, path: '/etc/passwd' }), 'FORBIDDEN', 'PATH_ABSOLUTE');
    await rejectsWith(fx.changes.diff({ workspace: ws, path: '.git/config' }), 'FORBIDDEN', 'PATH_IN_GIT_DIR');
    await rejectsWith(fx.changes.diff({ workspace: ws, path: ':(glob)**' }), 'NOT_FOUND', 'FILE_NOT_CHANGED');
    await rejectsWith(fx.changes.revert({ workspace: ws, path: ':!nothing' }), 'NOT_FOUND', 'FILE_NOT_CHANGED');
    await rejectsWith(fx.changes.diff({ workspace: ws, path: 'src/keep.ts' }), 'NOT_FOUND', 'FILE_NOT_CHANGED');
  });

  it('diffs an untracked symlink as a link, never reading its target outside the worktree', async () => {
    const fx = await createWorkspaceFixture();
    const secret = join(fx.root, 'secret.txt');
    writeFileSync(secret, 'TOP SECRET\n');
    symlinkSync(secret, join(fx.wt, 'leak'));
    const diff = await fx.changes.diff({ workspace: fx.workspace.id, path: 'leak' });
    expect(diff.patch).toContain('secret.txt');
    expect(diff.patch).not.toContain('TOP SECRET');
    await fx.changes.revert({ workspace: fx.workspace.id, path: 'leak' });
    expect(existsSync(join(fx.wt, 'leak'))).toBe(false);
    expect(readFileSync(secret, 'utf8')).toBe('TOP SECRET\n');
  });
});

describe('changes: hard links (issue 16, finding 9)', () => {
  it(
    'refuses to diff a hard link to a file outside the worktree, ' + 'untracked or tracked, and never counts its lines',
    async () => {
      const fx = await createWorkspaceFixture();
      const secret = join(fx.root, 'outside-secret.txt');
      writeFileSync(secret, 'TOP SECRET\nline 2\n');
      linkSync(secret, join(fx.wt, 'leak.txt'));
      const ws = fx.workspace.id;
      const status = await fx.changes.status({ workspace: ws });
      expect(status.files.find((f) => f.path === 'leak.txt')).toMatchObject({ status: 'U', additions: null });
      const untracked = await rejectsWith(
        fx.changes.diff({ workspace: ws, path: 'leak.txt' }),
        'FORBIDDEN',
        'HARD_LINKED_FILE',
      );
      expect(untracked.message).not.toContain('TOP SECRET');
      // A tracked file replaced by a hard link: git would diff the outside file's content against the commit.
      rmSync(join(fx.wt, 'leak.txt'));
      rmSync(join(fx.wt, 'README.md'));
      linkSync(secret, join(fx.wt, 'README.md'));
      await rejectsWith(
        fx.changes.diff({ workspace: ws, path: 'README.md', against: 'uncommitted' }),
        'FORBIDDEN',
        'HARD_LINKED_FILE',
      );
    },
  );
});

describe('changes: revert', () => {
  it('restores modified and deleted files, deletes added and untracked ones, undoes a rename', async () => {
    const fx = await workspaceWithChanges();
    const ws = fx.workspace.id;
    await fx.changes.revert({ workspace: ws, path: 'README.md' });
    expect(readFileSync(join(fx.wt, 'README.md'), 'utf8')).toBe('# app\n');
    await fx.changes.revert({ workspace: ws, path: 'doomed.txt' });
    expect(readFileSync(join(fx.wt, 'doomed.txt'), 'utf8')).toBe('bye\n');
    await fx.changes.revert({ workspace: ws, path: 'staged-new.ts' });
    expect(existsSync(join(fx.wt, 'staged-new.ts'))).toBe(false);
    await fx.changes.revert({ workspace: ws, path: 'untracked dir/notes ü.md' });
    expect(existsSync(join(fx.wt, 'untracked dir/notes ü.md'))).toBe(false);
    expect((await fx.changes.revert({ workspace: ws, path: 'src/new-name.ts' })).reverted).toEqual([
      'src/new-name.ts',
      'src/old-name.ts',
    ]);
    expect(existsSync(join(fx.wt, 'src/old-name.ts'))).toBe(true);
    expect(existsSync(join(fx.wt, 'src/new-name.ts'))).toBe(false);

    const left = await fx.changes.status({ workspace: ws, against: 'uncommitted' });
    expect(left.files).toEqual([]);
    // The committed change is not uncommitted, so it stays.
    expect(existsSync(join(fx.wt, 'committed.txt'))).toBe(true);
  });

  it('against base, reverts a committed change back to the base version', async () => {
    const fx = await createWorkspaceFixture();
    writeFiles(fx.wt, { 'README.md': '# changed on branch\n' });
    git(fx.wt, 'commit', '-q', '-am', 'change readme');
    await fx.changes.revert({ workspace: fx.workspace.id, path: 'README.md', against: 'base' });
    expect(readFileSync(join(fx.wt, 'README.md'), 'utf8')).toBe('# app\n');
  });
});

describe('changes: commit', () => {
  it('stages everything (including untracked files) and commits with the message', async () => {
    const fx = await workspaceWithChanges();
    const result = await fx.changes.commit({ workspace: fx.workspace.id, message: 'Do the thing\n\nWith a body.' });
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(result.summary).toBe('Do the thing');
    expect(result.files).toBe(5);
    expect(git(fx.wt, 'status', '--porcelain')).toBe('');
    expect(git(fx.wt, 'log', '-1', '--format=%B').trim()).toBe('Do the thing\n\nWith a body.');
  });

  it('commits a message that looks like an option, literally', async () => {
    const fx = await createWorkspaceFixture();
    writeFiles(fx.wt, { 'a.txt': 'a\n' });
    await fx.changes.commit({ workspace: fx.workspace.id, message: '--amend --no-verify' });
    expect(git(fx.wt, 'log', '--format=%s').trim().split('\n')).toEqual(['--amend --no-verify', 'initial']);
  });

  it('git hooks (pre-commit) never see the server BAND_* variables', async () => {
    const fx = await createWorkspaceFixture({
      env: gitEnv({ BAND_TOKEN: 'c'.repeat(64), BAND_HOME: '/tmp/band-home' }),
    });
    const seen = join(fx.root, 'hook-env');
    const hook = join(fx.repo, '.git', 'hooks', 'pre-commit'); // worktrees share the main repository's hooks
    writeFileSync(hook, `#!/bin/sh\nenv | grep -ci '^band_' > '${seen}'\nexit 0\n`, { mode: 0o755 });
    writeFiles(fx.wt, { 'x.txt': 'x\n' });
    await fx.changes.commit({ workspace: fx.workspace.id, message: 'with hook' });
    expect(readFileSync(seen, 'utf8').trim()).toBe('0');
  });

  it('requires a message and something to commit', async () => {
    const fx = await createWorkspaceFixture();
    await rejectsWith(
      fx.changes.commit({ workspace: fx.workspace.id, message: '  \n' }),
      'INVALID_INPUT',
      'EMPTY_MESSAGE',
    );
    await rejectsWith(
      fx.changes.commit({ workspace: fx.workspace.id, message: 'nothing' }),
      'PRECONDITION_FAILED',
      'NOTHING_TO_COMMIT',
    );
  });

  it('explains a missing git identity', async () => {
    const env = gitEnv({
      GIT_AUTHOR_NAME: undefined,
      GIT_AUTHOR_EMAIL: undefined,
      GIT_COMMITTER_NAME: undefined,
      GIT_COMMITTER_EMAIL: undefined,
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'user.useConfigOnly',
      GIT_CONFIG_VALUE_0: 'true',
    });
    const fx = await createWorkspaceFixture({ env });
    writeFiles(fx.wt, { 'a.txt': 'a\n' });
    const error = await rejectsWith(
      fx.changes.commit({ workspace: fx.workspace.id, message: 'x' }),
      'PRECONDITION_FAILED',
      'GIT_IDENTITY_MISSING',
    );
    expect(error.hint).toMatch(/git config --global user.name/);
  });
});

describe('git output parsers', () => {
  it('parses name-status and numstat -z output, including renames and tabs in names', () => {
    expect(parseNameStatus('M\0a b.txt\0R087\0old\0new\0A\0x\0D\0y\0U\0c\0T\0t\0')).toEqual([
      { path: 'a b.txt', status: 'M', conflicted: false },
      { path: 'new', oldPath: 'old', status: 'R', conflicted: false },
      { path: 'x', status: 'A', conflicted: false },
      { path: 'y', status: 'D', conflicted: false },
      { path: 'c', status: 'M', conflicted: true },
      { path: 't', status: 'M', conflicted: false },
    ]);
    expect(parseNumstat('1\t2\ttab\tname\0-\t-\tbin\0' + '3\t0\t\0old\0new\0')).toEqual([
      { path: 'tab\tname', additions: 1, deletions: 2 },
      { path: 'bin', additions: null, deletions: null },
      { path: 'new', oldPath: 'old', additions: 3, deletions: 0 },
    ]);
    expect(parseNameStatus('M\0')).toEqual([]);
  });

  it('detects binary patches and truncates without splitting characters', () => {
    expect(isBinaryPatch('diff --git a/x b/x\nBinary files a/x and b/x differ\n')).toBe(true);
    expect(isBinaryPatch('+Binary files are fun\n')).toBe(false);
    expect(truncateAtLine('ab\ncd\nef\n', 7)).toEqual({ text: 'ab\ncd\n', truncated: true });
    expect(truncateAtLine('ééééé', 5)).toEqual({ text: 'éé', truncated: true });
    expect(truncateAtLine('short', 10)).toEqual({ text: 'short', truncated: false });
  });
});
