// Changesets end to end, on temporary copies of this repository's manifests and .changeset/ (never the checkout):
// the CI check (scripts/check-changesets.mjs) fails when a public package changed since the last release without a
// changeset, and `changeset version` turns today's changesets into coherent versions and changelogs, with Band's
// packages depending on each other's new versions.
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHECK = join(ROOT, 'scripts', 'check-changesets.mjs');
const CHANGESET = join(ROOT, 'node_modules', '@changesets', 'cli', 'bin.js');

interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const copies: string[] = [];
afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** Workspace directories (relative), as the root package.json lists them. */
function workspaceDirs(): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  return root.workspaces.flatMap((pattern) =>
    pattern.endsWith('/*')
      ? readdirSync(join(ROOT, pattern.slice(0, -2)))
          .map((d) => `${pattern.slice(0, -2)}/${d}`)
          .filter((d) => existsSync(join(ROOT, d, 'package.json')))
      : [pattern],
  );
}

/**
 * A copy of the manifests and .changeset/ (each package gets a one-line src/index.ts), committed in a fresh git
 * repository.
 */
function copyRepository(options: { changesets: boolean }): string {
  const dir = mkdtempSync(join(tmpdir(), 'band-changesets-'));
  copies.push(dir);
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  for (const ws of workspaceDirs()) {
    mkdirSync(join(dir, ws, 'src'), { recursive: true });
    cpSync(join(ROOT, ws, 'package.json'), join(dir, ws, 'package.json'));
    writeFileSync(join(dir, ws, 'src', 'index.ts'), 'export {};\n');
  }
  mkdirSync(join(dir, '.changeset'));
  for (const file of readdirSync(join(ROOT, '.changeset'))) {
    if (options.changesets || !file.endsWith('.md') || file === 'README.md')
      cpSync(join(ROOT, '.changeset', file), join(dir, '.changeset', file));
  }
  // `changeset version` loads the changelog generator named in config.json from node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, '.gitignore'), 'node_modules\n');
  git(dir, 'init', '-q', '-b', 'main');
  commit(dir, 'copy');
  return dir;
}

function git(cwd: string, ...args: string[]) {
  const r = spawnSync(
    'git',
    ['-c', 'user.name=Band test', '-c', 'user.email=test@band.invalid', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, GIT_DIR: undefined, GIT_WORK_TREE: undefined },
    },
  );
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}
function commit(cwd: string, message: string) {
  git(cwd, 'add', '-A');
  git(cwd, 'commit', '-q', '-m', message);
}

function check(cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CHECK, '--cwd', cwd], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, BAND_CHANGESET_BASE: '', ...env },
  });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

function manifests(dir: string): Map<string, Manifest> {
  return new Map(
    workspaceDirs().map((ws) => [ws, JSON.parse(readFileSync(join(dir, ws, 'package.json'), 'utf8')) as Manifest]),
  );
}

describe('the CI check (scripts/check-changesets.mjs)', () => {
  it(
    'before the first release (no tag), compares with the first commit: ' +
      'a changed package needs a pending changeset',
    () => {
      const repo = copyRepository({ changesets: false });
      writeFileSync(join(repo, 'packages', 'auth', 'src', 'index.ts'), 'export const changed = true;\n');
      commit(repo, 'change auth');
      const missing = check(repo);
      expect(missing.code).not.toBe(0);
      expect(missing.output).toContain('the first commit');
      expect(missing.output).toContain('without a changeset: @band/auth');
      writeFileSync(
        join(repo, '.changeset', 'auth-change.md'),
        '---\n"@band/auth": patch\n---\n\nA change users notice.\n',
      );
      commit(repo, 'changeset');
      expect(check(repo).code).toBe(0);
    },
  );

  it(
    'fails when a public package changed since the last ' + 'release without a changeset, and passes once one is added',
    () => {
      const repo = copyRepository({ changesets: false });
      for (const m of manifests(repo).values()) if (!m.private) git(repo, 'tag', `${m.name}@${m.version}`);
      writeFileSync(join(repo, 'packages', 'auth', 'src', 'index.ts'), 'export const changed = true;\n');
      commit(repo, 'change auth');

      const missing = check(repo);
      expect(missing.code).not.toBe(0);
      expect(missing.output).toMatch(/since @band\/[a-z]+@0\.1\.0/);
      expect(missing.output).toContain('without a changeset: @band/auth');

      writeFileSync(
        join(repo, '.changeset', 'auth-change.md'),
        '---\n"@band/auth": patch\n---\n\nA change users notice.\n',
      );
      commit(repo, 'changeset');
      const described = check(repo);
      expect(described.output).toContain('@band/auth');
      expect(described.code).toBe(0);
    },
  );

  it(
    'asks a @band/server changeset for a dashboard change (it ' +
      'ships inside @band/server), none for tests or private apps',
    () => {
      const repo = copyRepository({ changesets: false });
      for (const m of manifests(repo).values()) if (!m.private) git(repo, 'tag', `${m.name}@${m.version}`);
      writeFileSync(join(repo, 'packages', 'store', 'src', 'store.test.ts'), 'export {};\n');
      writeFileSync(join(repo, 'apps', 'desktop', 'src', 'index.ts'), 'export const changed = true;\n');
      commit(repo, 'a test and the private desktop app');
      const quiet = check(repo);
      expect(quiet.output).toContain('no public package changed');
      expect(quiet.code).toBe(0);

      writeFileSync(join(repo, 'apps', 'dashboard', 'src', 'index.ts'), 'export const changed = true;\n');
      commit(repo, 'dashboard');
      const dashboard = check(repo);
      expect(dashboard.output).toContain('without a changeset: @band/server');
      expect(dashboard.code).not.toBe(0);
    },
  );

  it('compares against BAND_CHANGESET_BASE when set (a pull request against main)', () => {
    const repo = copyRepository({ changesets: false });
    git(repo, 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(repo, 'packages', 'tunnel', 'src', 'index.ts'), 'export const changed = true;\n');
    commit(repo, 'change tunnel');
    const r = check(repo, { BAND_CHANGESET_BASE: 'main' });
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('without a changeset: @band/tunnel');
  });
});

describe('changeset version (dry run on a copy of today’s changesets)', () => {
  it('bumps every package a changeset names, moves internal dependencies together and writes changelogs', () => {
    const repo = copyRepository({ changesets: true });
    const before = manifests(repo);
    const pending = readdirSync(join(repo, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md');
    const named = new Set(
      pending.flatMap((f) =>
        [...readFileSync(join(repo, '.changeset', f), 'utf8').matchAll(/^"(@band\/[^"]+)":/gm)].map((m) => m[1]!),
      ),
    );
    expect(named.size).toBeGreaterThan(0);

    const r = spawnSync(process.execPath, [CHANGESET, 'version'], { cwd: repo, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    const after = manifests(repo);
    const version = new Map([...after.values()].map((m) => [m.name, m.version]));

    // The changesets are consumed.
    expect(readdirSync(join(repo, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')).toEqual([]);
    for (const [ws, m] of after) {
      const old = before.get(ws)!;
      if (named.has(m.name)) {
        // Every named package has a new version and a changelog that starts with it.
        expect(m.version, m.name).not.toBe(old.version);
        const changelog = readFileSync(join(repo, ws, 'CHANGELOG.md'), 'utf8');
        expect(changelog.startsWith(`# ${m.name}\n\n## ${m.version}\n`), changelog.slice(0, 200)).toBe(true);
      }
      // Internal dependencies move together: every @band/* range is exactly the dependency's new version.
      for (const field of ['dependencies', 'devDependencies', 'peerDependencies'] as const) {
        for (const [dep, range] of Object.entries(m[field] ?? {})) {
          if (version.has(dep))
            expect(`${m.name} ${field} ${dep}@${range}`).toBe(`${m.name} ${field} ${dep}@${version.get(dep)}`);
        }
      }
      // A package whose Band dependency got a new version is released too (it pins the exact version).
      const bumpedDeps = Object.keys(old.dependencies ?? {}).filter(
        (dep) => version.has(dep) && version.get(dep) !== [...before.values()].find((b) => b.name === dep)?.version,
      );
      if (bumpedDeps.length > 0 && !m.private)
        expect(m.version, `${m.name} depends on ${bumpedDeps.join(', ')}`).not.toBe(old.version);
    }
  });
});
