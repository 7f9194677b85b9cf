import { linkSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeRelativePath } from '../src/workspaces/git/safe-path.js';
import { createWorkspaceFixture, rejectsWith, writeFiles } from './fixtures/git-workspace.js';

const FILES = {
  'README.md': '# app\n',
  'src/index.ts': 'export const ünïcode = "名前";\n',
  'src/deep/a.txt': 'a\n',
  'zeta.txt': 'z\n',
};

describe('files: tree', () => {
  it('lists one directory at a time, directories first, without .git', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    const root = await fx.files.list({ workspace: fx.workspace.id });
    expect(root.path).toBe('');
    expect(root.entries.map((e) => [e.name, e.type])).toEqual([
      ['src', 'directory'],
      ['README.md', 'file'],
      ['zeta.txt', 'file'],
    ]);
    expect(root.entries.find((e) => e.name === 'README.md')?.size).toBe(6);
    const src = await fx.files.list({ workspace: fx.workspace.id, path: 'src' });
    expect(src.entries.map((e) => e.path)).toEqual(['src/deep', 'src/index.ts']);
    expect(src.truncated).toBe(false);
  });

  it('caps huge directories and says so', async () => {
    const fx = await createWorkspaceFixture({ file: { maxEntries: 3 } });
    writeFiles(fx.wt, Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`many/f${i}`, 'x'])));
    const listing = await fx.files.list({ workspace: fx.workspace.id, path: 'many' });
    expect(listing.entries).toHaveLength(3);
    expect(listing.truncated).toBe(true);
  });

  it('reports symlinks as symlinks and refuses to list a file or a missing directory', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    symlinkSync('README.md', join(fx.wt, 'link.md'));
    const root = await fx.files.list({ workspace: fx.workspace.id });
    expect(root.entries.find((e) => e.name === 'link.md')?.type).toBe('symlink');
    await rejectsWith(
      fx.files.list({ workspace: fx.workspace.id, path: 'README.md' }),
      'INVALID_INPUT',
      'NOT_A_DIRECTORY',
    );
    await rejectsWith(fx.files.list({ workspace: fx.workspace.id, path: 'nope' }), 'NOT_FOUND', 'FILE_NOT_FOUND');
  });
});

describe('files: content', () => {
  it('returns UTF-8 text', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    expect(await fx.files.read({ workspace: fx.workspace.id, path: 'src/index.ts' })).toEqual({
      path: 'src/index.ts',
      size: Buffer.byteLength(FILES['src/index.ts']),
      binary: false,
      tooLarge: false,
      content: FILES['src/index.ts'],
    });
    expect((await fx.files.read({ workspace: fx.workspace.id, path: './src//deep/./a.txt' })).path).toBe(
      'src/deep/a.txt',
    );
  });

  it('returns { binary: true } for a file with NUL bytes, never its bytes', async () => {
    const fx = await createWorkspaceFixture();
    writeFiles(fx.wt, { 'img.bin': Buffer.from([1, 2, 0, 3]) });
    const result = await fx.files.read({ workspace: fx.workspace.id, path: 'img.bin' });
    expect(result).toEqual({ path: 'img.bin', size: 4, binary: true, tooLarge: false });
  });

  it('returns { tooLarge: true } above the size cap', async () => {
    const fx = await createWorkspaceFixture({ file: { maxFileBytes: 100 } });
    writeFiles(fx.wt, { 'big.txt': 'x'.repeat(101) });
    expect(await fx.files.read({ workspace: fx.workspace.id, path: 'big.txt' })).toEqual({
      path: 'big.txt',
      size: 101,
      binary: false,
      tooLarge: true,
    });
  });

  it('refuses directories, missing files and unknown workspaces', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    await rejectsWith(fx.files.read({ workspace: fx.workspace.id, path: 'src' }), 'INVALID_INPUT', 'IS_A_DIRECTORY');
    await rejectsWith(
      fx.files.read({ workspace: fx.workspace.id, path: 'missing.txt' }),
      'NOT_FOUND',
      'FILE_NOT_FOUND',
    );
    await rejectsWith(fx.files.read({ workspace: 'ws_nope', path: 'README.md' }), 'NOT_FOUND', 'WORKSPACE_NOT_FOUND');
  });
});

describe('files: containment (hostile paths)', () => {
  it('refuses ../ traversal, absolute paths and NUL bytes', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    const ws = fx.workspace.id;
    for (const path of ['../../etc/passwd', '..', 'src/../../outside', 'src/deep/../../..//etc/passwd']) {
      await rejectsWith(fx.files.read({ workspace: ws, path }), 'FORBIDDEN', 'PATH_OUTSIDE_WORKSPACE');
      await rejectsWith(fx.files.list({ workspace: ws, path }), 'FORBIDDEN', 'PATH_OUTSIDE_WORKSPACE');
    }
    for (const path of ['/etc/passwd', '//etc/passwd', '\\\\server\\share', 'C:\\Windows\\win.ini']) {
      await rejectsWith(fx.files.read({ workspace: ws, path }), 'FORBIDDEN', 'PATH_ABSOLUTE');
    }
    await rejectsWith(fx.files.read({ workspace: ws, path: 'README.md\0.png' }), 'INVALID_INPUT', 'INVALID_PATH');
    // Percent-encoding is not decoded: it is a literal (missing) file name.
    await rejectsWith(
      fx.files.read({ workspace: ws, path: '%2e%2e/%2e%2e/etc/passwd' }),
      'NOT_FOUND',
      'FILE_NOT_FOUND',
    );
  });

  it('refuses .git internals, whatever the case', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    for (const path of ['.git', '.git/config', '.GIT/HEAD', './.git/index', 'sub/.git/config']) {
      await rejectsWith(fx.files.read({ workspace: fx.workspace.id, path }), 'FORBIDDEN', 'PATH_IN_GIT_DIR');
    }
  });

  it('refuses symlinks that leave the worktree (file, directory, and into .git)', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    const outside = join(fx.root, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET');
    symlinkSync('/etc/passwd', join(fx.wt, 'passwd'));
    symlinkSync(join(outside, 'secret.txt'), join(fx.wt, 'secret-link'));
    symlinkSync(outside, join(fx.wt, 'outside-dir'));
    symlinkSync('../../../..', join(fx.wt, 'src', 'up'));
    symlinkSync('.git', join(fx.wt, 'git-link'));
    const ws = fx.workspace.id;
    await rejectsWith(fx.files.read({ workspace: ws, path: 'passwd' }), 'FORBIDDEN', 'PATH_OUTSIDE_WORKSPACE');
    await rejectsWith(fx.files.read({ workspace: ws, path: 'secret-link' }), 'FORBIDDEN', 'PATH_OUTSIDE_WORKSPACE');
    await rejectsWith(
      fx.files.read({ workspace: ws, path: 'outside-dir/secret.txt' }),
      'FORBIDDEN',
      'PATH_OUTSIDE_WORKSPACE',
    );
    await rejectsWith(fx.files.list({ workspace: ws, path: 'outside-dir' }), 'FORBIDDEN', 'PATH_OUTSIDE_WORKSPACE');
    await rejectsWith(fx.files.list({ workspace: ws, path: 'src/up' }), 'FORBIDDEN', 'PATH_OUTSIDE_WORKSPACE');
    // In a linked worktree `.git` is a file pointing into the main repository: outside, or git internals.
    await rejectsWith(fx.files.read({ workspace: ws, path: 'git-link' }), 'FORBIDDEN');
  });

  it('refuses a hard link to a file outside the worktree (issue 16, finding 9), and says how to read it', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    const secret = join(fx.root, 'outside-secret.txt');
    writeFileSync(secret, 'TOP SECRET\n');
    linkSync(secret, join(fx.wt, 'notes.txt')); // same filesystem: the temp root holds both
    const error = await rejectsWith(
      fx.files.read({ workspace: fx.workspace.id, path: 'notes.txt' }),
      'FORBIDDEN',
      'HARD_LINKED_FILE',
    );
    expect(error.message).toContain('hard link');
    expect(error.message).not.toContain('TOP SECRET');
    expect(error.hint).toContain('copy');
    // The same bytes as a plain file (one link) are readable.
    unlinkSync(join(fx.wt, 'notes.txt'));
    writeFileSync(join(fx.wt, 'notes.txt'), 'mine\n');
    expect(await fx.files.read({ workspace: fx.workspace.id, path: 'notes.txt' })).toMatchObject({ content: 'mine\n' });
  });

  it('follows symlinks that stay inside the worktree', async () => {
    const fx = await createWorkspaceFixture({ files: FILES });
    symlinkSync('src/deep', join(fx.wt, 'shortcut'));
    expect(await fx.files.read({ workspace: fx.workspace.id, path: 'shortcut/a.txt' })).toMatchObject({
      content: 'a\n',
    });
  });

  it('normalizeRelativePath keeps harmless names and refuses the rest', () => {
    expect(normalizeRelativePath('a/./b//c')).toBe('a/b/c');
    expect(normalizeRelativePath('')).toBe('');
    expect(normalizeRelativePath('...')).toBe('...');
    expect(normalizeRelativePath('.gitignore')).toBe('.gitignore');
    expect(normalizeRelativePath('name with spaces/ü.txt')).toBe('name with spaces/ü.txt');
    expect(() => normalizeRelativePath('a/../b')).toThrow(/"\.\." is not allowed/);
    expect(() => normalizeRelativePath('x'.repeat(5000))).toThrow(/longer/);
  });
});
