import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGitFixture, git, initRepo, rejectsWith } from './fixtures/git-workspace.js';

describe('projects service', () => {
  it('registers a git repository with its default branch detected', async () => {
    const fx = createGitFixture();
    const { project, created } = await fx.projects.register({ path: fx.repo });
    expect(created).toBe(true);
    expect(project).toMatchObject({ name: 'app', path: fx.repo, defaultBranch: 'main' });
    expect(project.id).toMatch(/^prj_/);
    expect(fx.projects.list()).toEqual([project]);
  });

  it('registering the same repository again returns the existing project', async () => {
    const fx = createGitFixture();
    const first = await fx.projects.register({ path: fx.repo });
    const second = await fx.projects.register({ path: fx.repo });
    expect(second).toEqual({ project: first.project, created: false });
  });

  it('registers the top level when given a directory inside the repository', async () => {
    const fx = createGitFixture({ files: { 'src/index.ts': 'export {}\n' } });
    const { project } = await fx.projects.register({ path: join(fx.repo, 'src'), name: 'web' });
    expect(project).toMatchObject({ name: 'web', path: fx.repo });
  });

  it(
    'detects a default branch other than main ' + '(the checked-out one) and prefers main/master over a feature branch',
    async () => {
      const fx = createGitFixture();
      const trunk = initRepo(join(fx.root, 'repos', 'trunky'), { 'a.txt': 'a\n' }, 'trunk');
      expect((await fx.projects.register({ path: trunk })).project.defaultBranch).toBe('trunk');
      git(fx.repo, 'checkout', '-q', '-b', 'feature');
      const { project } = await fx.projects.register({ path: fx.repo });
      expect(project.defaultBranch).toBe('main');
    },
  );

  it('accepts an explicit default branch only if it exists', async () => {
    const fx = createGitFixture();
    await rejectsWith(
      fx.projects.register({ path: fx.repo, defaultBranch: 'nope' }),
      'INVALID_INPUT',
      'BRANCH_NOT_FOUND',
    );
    await rejectsWith(
      fx.projects.register({ path: fx.repo, defaultBranch: '--upload-pack=x' }),
      'INVALID_INPUT',
      'INVALID_BRANCH_NAME',
    );
    git(fx.repo, 'branch', 'develop');
    expect((await fx.projects.register({ path: fx.repo, defaultBranch: 'develop' })).project.defaultBranch).toBe(
      'develop',
    );
  });

  it('refuses a directory that is not a git repository, with a hint', async () => {
    const fx = createGitFixture();
    const plain = join(fx.root, 'plain');
    mkdirSync(plain);
    const error = await rejectsWith(fx.projects.register({ path: plain }), 'INVALID_INPUT', 'NOT_A_GIT_REPOSITORY');
    expect(error.message).toContain(plain);
    expect(error.hint).toMatch(/git init/);
  });

  it('refuses relative, missing, empty and bare repositories', async () => {
    const fx = createGitFixture();
    await rejectsWith(fx.projects.register({ path: 'repos/app' }), 'INVALID_INPUT', 'PATH_NOT_ABSOLUTE');
    await rejectsWith(fx.projects.register({ path: join(fx.root, 'missing') }), 'INVALID_INPUT', 'PATH_NOT_FOUND');
    const empty = join(fx.root, 'empty');
    mkdirSync(empty);
    git(empty, 'init', '-q');
    await rejectsWith(fx.projects.register({ path: empty }), 'PRECONDITION_FAILED', 'EMPTY_REPOSITORY');
    const bare = join(fx.root, 'bare.git');
    git(fx.root, 'clone', '-q', '--bare', fx.repo, bare);
    await rejectsWith(fx.projects.register({ path: bare }), 'INVALID_INPUT', 'BARE_REPOSITORY');
  });

  it('refuses names that are not safe directory names, and a taken name', async () => {
    const fx = createGitFixture();
    for (const name of ['../evil', 'a/b', '-rf', '.hidden', '', 'x'.repeat(101), 'tab\there']) {
      await rejectsWith(fx.projects.register({ path: fx.repo, name }), 'INVALID_INPUT', 'INVALID_PROJECT_NAME');
    }
    expect((await fx.projects.register({ path: fx.repo, name: 'My App ünï' })).project.name).toBe('My App ünï');
    const other = initRepo(join(fx.root, 'repos', 'other'));
    await rejectsWith(fx.projects.register({ path: other, name: 'My App ünï' }), 'CONFLICT', 'PROJECT_EXISTS');
  });

  it('resolves a project by id, name or id prefix', async () => {
    const fx = createGitFixture();
    const { project } = await fx.projects.register({ path: fx.repo });
    expect(fx.projects.resolve(project.id)).toEqual(project);
    expect(fx.projects.resolve('app')).toEqual(project);
    expect(fx.projects.resolve(project.id.slice(0, 7))).toEqual(project);
    await rejectsWith(
      Promise.resolve().then(() => fx.projects.resolve('nope')),
      'NOT_FOUND',
      'PROJECT_NOT_FOUND',
    );
  });

  it('refuses to remove a project that has workspaces, naming them', async () => {
    const fx = createGitFixture();
    const { project } = await fx.projects.register({ path: fx.repo });
    await fx.workspaces.create({ project: 'app', branch: 'feat/a' });
    const error = await rejectsWith(
      fx.projects.remove({ project: project.id }),
      'PRECONDITION_FAILED',
      'PROJECT_HAS_WORKSPACES',
    );
    expect(error.message).toContain('feat/a');
    expect(error.hint).toMatch(/cascade/);
    expect(fx.projects.list()).toHaveLength(1);
  });

  it('with cascade, removes every workspace worktree, then the project, and never touches the repository', async () => {
    const fx = createGitFixture();
    const { project } = await fx.projects.register({ path: fx.repo });
    const { workspace } = await fx.workspaces.create({ project: 'app', branch: 'feat/a' });
    const result = await fx.projects.remove({ project: 'app', cascade: true });
    expect(result.removedWorkspaces).toEqual([workspace.id]);
    expect(existsSync(workspace.path)).toBe(false);
    expect(fx.store.projects.get(project.id)).toBeUndefined();
    expect(existsSync(join(fx.repo, 'README.md'))).toBe(true);
    expect(git(fx.repo, 'worktree', 'list')).not.toContain('feat/a');
  });

  it('removes a project without workspaces', async () => {
    const fx = createGitFixture();
    await fx.projects.register({ path: fx.repo });
    expect((await fx.projects.remove({ project: 'app' })).removedWorkspaces).toEqual([]);
    expect(fx.projects.list()).toEqual([]);
  });
});
