// The folder picker behind "Add project" (issue 22): directories under home only, hostile paths refused; the
// repositories under home; `~` expansion on register. Through the service and the tRPC router.
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context.js';
import { createCaller } from '../src/root.js';
import { expandHome, findHomeRepositories } from '../src/workspaces/home-folders.js';
import { createGitFixture, gitEnv, initRepo, rejectsWith, tempRoot } from './fixtures/git-workspace.js';

/** A home with repositories, plain folders, files, hidden folders and symlinks in and out of it. */
function homeFixture() {
  const outside = tempRoot();
  mkdirSync(join(outside, 'secrets'), { recursive: true });
  const root = tempRoot();
  const home = join(root, 'home');
  mkdirSync(join(home, 'code', 'deep', 'er'), { recursive: true });
  initRepo(join(home, 'code', 'shop'));
  initRepo(join(home, 'code', 'blog'));
  initRepo(join(home, 'code', 'deep', 'er', 'nested-repo'));
  mkdirSync(join(home, 'code', 'node_modules', 'pkg', '.git'), { recursive: true });
  mkdirSync(join(home, '.cache', 'hidden-repo', '.git'), { recursive: true });
  writeFileSync(join(home, 'notes.txt'), 'not a folder\n');
  mkdirSync(join(home, 'Documents'));
  symlinkSync(outside, join(home, 'escape'));
  symlinkSync(join(home, 'code'), join(home, 'code-link'));
  symlinkSync(join(outside, 'secrets'), join(home, 'code', 'secrets-link'));
  const fx = createGitFixture({ env: gitEnv({ HOME: home }) });
  return { ...fx, home, outside };
}

describe('home folder picker', () => {
  it(
    'lists only sub-directories of home, marks repositories, ' + 'hides hidden folders and symlinks that leave home',
    async () => {
      const fx = homeFixture();
      const root = await fx.projects.browse({});
      expect(root).toMatchObject({ home: fx.home, path: '', parent: null, isRepository: false, truncated: false });
      expect(root.entries.map((e) => e.name)).toEqual(
        ['code', 'code-link', 'Documents'].sort((a, b) => a.localeCompare(b)),
      );
      const code = await fx.projects.browse({ path: 'code' });
      expect(code.parent).toBe('');
      expect(code.entries.map((e) => [e.name, e.isRepository])).toEqual([
        ['blog', true],
        ['deep', false],
        ['node_modules', false],
        ['shop', true],
      ]);
      expect(code.entries.find((e) => e.name === 'shop')!.absolute).toBe(join(fx.home, 'code', 'shop'));
      // The same folder by `~/…`, by absolute path, and through a symlink that stays inside home.
      expect((await fx.projects.browse({ path: '~/code' })).entries).toEqual(code.entries);
      expect((await fx.projects.browse({ path: join(fx.home, 'code') })).path).toBe('code');
      expect((await fx.projects.browse({ path: 'code-link' })).entries.map((e) => e.name)).toContain('shop');
      expect((await fx.projects.browse({ path: '', showHidden: true })).entries.map((e) => e.name)).toContain('.cache');
    },
  );

  it('refuses hostile paths: .., absolute paths outside home, symlinks out of home, files, .git, NUL', async () => {
    const fx = homeFixture();
    await rejectsWith(fx.projects.browse({ path: '..' }), 'FORBIDDEN');
    await rejectsWith(fx.projects.browse({ path: 'code/../../' }), 'FORBIDDEN');
    await rejectsWith(fx.projects.browse({ path: '/etc' }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    await rejectsWith(fx.projects.browse({ path: fx.outside }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    await rejectsWith(fx.projects.browse({ path: `${fx.home}/../` }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    await rejectsWith(fx.projects.browse({ path: 'escape' }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    await rejectsWith(fx.projects.browse({ path: 'escape/secrets' }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    await rejectsWith(fx.projects.browse({ path: 'code/secrets-link' }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    await rejectsWith(fx.projects.browse({ path: 'code/shop/.git' }), 'FORBIDDEN', 'PATH_IN_GIT_DIR');
    await rejectsWith(fx.projects.browse({ path: 'notes.txt' }), 'NOT_FOUND', 'FOLDER_NOT_FOUND');
    await rejectsWith(fx.projects.browse({ path: 'missing' }), 'NOT_FOUND', 'FOLDER_NOT_FOUND');
    await rejectsWith(fx.projects.browse({ path: 'code\0' }), 'INVALID_INPUT');
    await rejectsWith(fx.projects.browse({ path: '~root/x' }), 'INVALID_INPUT');
    await rejectsWith(fx.projects.browse({ path: '~/../' }), 'FORBIDDEN', 'PATH_OUTSIDE_HOME');
    // A symlink out of home is not even listed.
    expect((await fx.projects.browse({ path: 'code' })).entries.map((e) => e.name)).not.toContain('secrets-link');
  });

  it(
    'finds the repositories under home: ' + 'not in hidden or dependency folders, bounded by depth, newest first',
    async () => {
      const fx = homeFixture();
      const env = gitEnv({ HOME: fx.home });
      const all = await findHomeRepositories({}, env);
      expect(all.repositories.map((r) => r.relative).sort()).toEqual([
        'code/blog',
        'code/deep/er/nested-repo',
        'code/shop',
      ]);
      const shallow = await findHomeRepositories({ maxDepth: 2 }, env);
      expect(shallow.repositories.map((r) => r.relative).sort()).toEqual(['code/blog', 'code/shop']);
      expect((await findHomeRepositories({ limit: 1 }, env)).truncated).toBe(true);
      // Newest first: a commit in blog makes it the most recent.
      writeFileSync(join(fx.home, 'code', 'blog', 'b.txt'), 'b\n');
      const { git } = await import('./fixtures/git-workspace.js');
      git(join(fx.home, 'code', 'blog'), 'add', '-A');
      git(join(fx.home, 'code', 'blog'), 'commit', '-q', '-m', 'b');
      const discovered = await fx.projects.discover();
      expect(discovered.repositories[0]!.relative).toBe('code/blog');
      expect(discovered.repositories.every((r) => !r.registered)).toBe(true);
      await fx.projects.register({ path: '~/code/shop' });
      expect((await fx.projects.discover()).repositories.find((r) => r.relative === 'code/shop')!.registered).toBe(
        true,
      );
    },
  );

  it('registers ~/… paths; ~user and relative paths are refused', async () => {
    const fx = homeFixture();
    const { project } = await fx.projects.register({ path: '~/code/blog' });
    expect(project.path).toBe(join(fx.home, 'code', 'blog'));
    await rejectsWith(fx.projects.register({ path: '~other/code' }), 'INVALID_INPUT', 'PATH_NOT_ABSOLUTE');
    await rejectsWith(fx.projects.register({ path: 'code/shop' }), 'INVALID_INPUT', 'PATH_NOT_ABSOLUTE');
    expect(expandHome('~', '/h')).toBe('/h');
    expect(expandHome('~/a/b', '/h')).toBe('/h/a/b');
    expect(expandHome('/abs/~', '/h')).toBe('/abs/~');
  });

  it('through tRPC: browse and discover need a session; bad input is BAD_REQUEST, escapes are FORBIDDEN', async () => {
    const fx = homeFixture();
    const services = { projects: fx.projects } as never;
    const api = createCaller(createContextInner({ principal: { kind: 'root', listener: 'local' } as never, services }));
    expect((await api.projects.browse()).entries.map((e) => e.name)).toContain('code');
    expect((await api.projects.browse({ path: 'code' })).entries.map((e) => e.name)).toContain('shop');
    await expect(api.projects.browse({ path: '../..' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(api.projects.browse({ path: 'x'.repeat(5000) })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect((await api.projects.discover()).repositories.length).toBe(3);
    const anonymous = createCaller({ principal: undefined, services });
    await expect(anonymous.projects.browse()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
