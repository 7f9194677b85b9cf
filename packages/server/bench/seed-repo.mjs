// The benches' one git repository: a README on `main`, committed (bench/run.mjs, bench/count-promises.mjs).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Creates `<tmp>/repo` with one commit; `path` is the repository, `remove()` deletes the temporary folder. */
export function createBenchRepo(prefix) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const path = join(root, 'repo');
  execFileSync('git', ['init', '-q', '-b', 'main', path]);
  writeFileSync(join(path, 'README.md'), '# bench\n');
  const git = (...args) => execFileSync('git', ['-C', path, ...args], { stdio: 'ignore' });
  git('add', '.');
  git('-c', 'user.name=bench', '-c', 'user.email=bench@band.invalid', 'commit', '-qm', 'init');
  return { path, remove: () => rmSync(root, { recursive: true, force: true }) };
}
