#!/usr/bin/env node
// CI: fail when a public package changed since the last release and no changeset describes it.
// "Changed" means a file users get: src/ (not *.test.ts), bin/, package.json or README.md of the package; a change to
// the dashboard app (apps/dashboard) ships inside @band/server, so it needs a @band/server changeset. Private
// packages and test-only changes need none. `changeset status --since` runs too (it validates the changeset files
// and prints the release plan), but it counts any file of any package, so its verdict alone would be too strict.
//
// The base to compare against, in order:
//   1. BAND_CHANGESET_BASE (a ref; e.g. `origin/main` when CI checks a pull request branch);
//   2. the latest release tag reachable from HEAD (`@band/<name>@<version>`, as `changeset tag` creates them);
//   3. no release yet: the first commit. Before the first release every public package is new to its users, so
//      each one needs a pending changeset (the first release's notes); this is what CI checks on `main` today.
//      Not `main` itself: CI may check out only `main`, where main..HEAD is empty. A shallow clone (no first
//      commit to reach) says so and passes: release tags come with `git fetch --tags` even there.
// Usage: node scripts/check-changesets.mjs [--cwd <repo>]
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const changeset = fileURLToPath(new URL('../node_modules/@changesets/cli/bin.js', import.meta.url));

const cwdFlag = process.argv.indexOf('--cwd');
const cwd = cwdFlag > 0 ? process.argv[cwdFlag + 1] : fileURLToPath(new URL('..', import.meta.url));
const git = (...args) => spawnSync('git', args, { cwd, encoding: 'utf8' });

let base = process.env.BAND_CHANGESET_BASE?.trim() || undefined;
let why = 'BAND_CHANGESET_BASE';
if (!base) {
  const tag = git('describe', '--tags', '--abbrev=0', '--match', '@band/*@*', 'HEAD');
  if (tag.status === 0 && tag.stdout.trim()) {
    base = tag.stdout.trim();
    why = 'the latest release tag';
  }
}
if (!base) {
  const first = git('rev-list', '--max-parents=0', 'HEAD');
  const roots = first.status === 0 ? first.stdout.trim().split('\n').filter(Boolean) : [];
  const shallow = git('rev-parse', '--is-shallow-repository').stdout.trim() === 'true';
  if (roots.length && !shallow) {
    base = roots.at(-1);
    why =
      'the first commit: no release tag (@band/<name>@<version>) ' +
      'yet, so every public package changed needs a pending changeset';
  } else {
    process.stdout.write(
      'changesets: no release tag (@band/<name>@<version>) is reachable from HEAD ' +
        'and this clone is shallow: no base to compare against, check skipped.\n' +
        '  Fetch the tags or the history, or set BAND_CHANGESET_BASE=<ref> (e.g. origin/main for a pull request).\n',
    );
    process.exit(0);
  }
}
if (git('rev-parse', '--verify', '--quiet', `${base}^{commit}`).status !== 0) {
  process.stderr.write(
    `changesets: the base ${base} (${why}) is not in this clone; fetch it (git fetch --tags, or a deeper clone).\n`,
  );
  process.exit(1);
}
process.stdout.write(`changesets: checking changes since ${base} (${why})\n`);

// --- which public packages changed, in files their users get ---
const root = JSON.parse(readFileSync(join(cwd, 'package.json'), 'utf8'));
const workspaces = root.workspaces.flatMap((pattern) =>
  pattern.endsWith('/*')
    ? readdirSync(join(cwd, pattern.slice(0, -2))).map((d) => `${pattern.slice(0, -2)}/${d}`)
    : [pattern],
);
const packages = workspaces
  .filter((dir) => existsSync(join(cwd, dir, 'package.json')))
  .map((dir) => ({ dir, ...JSON.parse(readFileSync(join(cwd, dir, 'package.json'), 'utf8')) }));
const shipped = (rel) =>
  (rel.startsWith('src/') && !/\.test\.tsx?$/.test(rel)) ||
  rel.startsWith('bin/') ||
  rel.startsWith('scripts/') ||
  rel === 'package.json' ||
  rel === 'README.md' ||
  rel === 'next.config.ts';
const diff = git('diff', '--name-only', base);
if (diff.status !== 0) {
  process.stderr.write(`changesets: git diff ${base} failed: ${diff.stderr}`);
  process.exit(1);
}
const changed = new Set();
for (const file of diff.stdout.split('\n').filter(Boolean)) {
  const pkg = packages.find((p) => file.startsWith(`${p.dir}/`));
  if (!pkg || !shipped(file.slice(pkg.dir.length + 1))) continue;
  // The dashboard app is published inside @band/server (its prebuilt output).
  const name = pkg.name === '@band/dashboard' ? '@band/server' : pkg.name;
  if (!packages.find((p) => p.name === name)?.private) changed.add(name);
}

// --- which packages the pending changesets name ---
const described = new Set();
for (const file of readdirSync(join(cwd, '.changeset')).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
  const front = readFileSync(join(cwd, '.changeset', file), 'utf8').match(/^---\n([\s\S]*?)\n---/);
  for (const m of front?.[1].matchAll(/^\s*["']?(@?[^"':\s]+)["']?\s*:\s*(major|minor|patch|none)\s*$/gm) ?? [])
    described.add(m[1]);
}

const status = spawnSync(process.execPath, [changeset, 'status', `--since=${base}`], { cwd, encoding: 'utf8' });
process.stdout.write(status.stdout);
if (status.status !== 0 && !/no changesets were found/.test(status.stderr)) {
  process.stderr.write(`changesets: changeset status failed (a malformed changeset?):\n${status.stderr}`);
  process.exit(1);
}
const missing = [...changed].filter((name) => !described.has(name)).sort();
if (missing.length > 0) {
  process.stderr.write(
    `changesets: changed since ${base} without a changeset: ${missing.join(', ')}\n` +
      '  Run `npx changeset`, pick these packages and describe the change ' +
      'for their users (`npx changeset --empty` if users will not notice).\n',
  );
  process.exit(1);
}
const summary = changed.size === 0 ? 'no public package changed' : `${[...changed].sort().join(', ')} described`;
process.stdout.write(`changesets: ok (${summary})\n`);
