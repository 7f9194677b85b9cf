// Builds the app once per test run: bin/band-desktop.js and the server child run from dist/, so the tests that
// start them never drive stale code. Once, before any test file, because tsup's `clean: true` empties dist/ while
// it builds: a build inside a test file would pull it from under the other files running at the same time.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const appDir = fileURLToPath(new URL('..', import.meta.url));
  const tsup = join(dirname(createRequire(import.meta.url).resolve('tsup/package.json')), 'dist', 'cli-default.js');
  const build = spawnSync(process.execPath, [tsup], { cwd: appDir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`tsup failed (apps/desktop):\n${build.stdout}\n${build.stderr}`);
}
