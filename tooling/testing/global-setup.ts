// Shared by every package's vitest.config.ts (`globalSetup`). Marks every process the run starts, and fails the
// run when one of them is still alive once the tests are done: a leaked server, shell or browser is a bug. The run
// also gets its own TMPDIR (run-temp.mjs), removed at the end with what the agent CLIs and the tunnel keep there.
import { randomBytes } from 'node:crypto';
import { basename } from 'node:path';
import { ancestorsOf, findProcesses, type ProcessInfo } from './processes.mjs';
import { closeRunTemp, openRunTemp, runTempEnv } from './run-temp.mjs';

/**
 * Every process started by this vitest run inherits it (children of children too, unless they drop the environment).
 */
export const SUITE_MARKER = 'BAND_TEST_SUITE';

/** How long processes that were told to stop get to exit before they count as left behind. */
const GRACE_MS = 10_000;

export default function setup(): () => Promise<void> {
  const id = `${basename(process.cwd())}-${process.pid}-${randomBytes(4).toString('hex')}`;
  process.env[SUITE_MARKER] = id;
  const runTmp = openRunTemp();
  const tmpEnv = runTempEnv(runTmp);
  const outer = Object.fromEntries(Object.keys(tmpEnv).map((name) => [name, process.env[name]]));
  // Set before any worker starts, so every test file and every process it spawns inherits it.
  Object.assign(process.env, tmpEnv);
  return async () => {
    const leftovers = await waitForLeftovers(`${SUITE_MARKER}=${id}`, GRACE_MS);
    for (const p of leftovers) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
    // After the processes: a live one could still be writing there.
    restoreEnv(outer);
    closeRunTemp(runTmp, 'The tests');
    if (leftovers.length === 0) return;
    // vitest only logs an error thrown here; the exit code is what CI sees.
    process.exitCode = 1;
    const list = leftovers.map((p) => `  ${p.pid} (parent ${p.ppid}): ${p.cmdline.slice(0, 200)}`).join('\n');
    throw new Error(
      `${leftovers.length} process(es) started by the tests were still ` +
        `running after the last test (now killed):\n${list}`,
    );
  };
}

function restoreEnv(values: Record<string, string | undefined>): void {
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}

/** Processes carrying this run's marker, except vitest itself, its workers and whoever started it. */
function leftoversOf(marker: string): ProcessInfo[] {
  const runner = ancestorsOf(process.pid);
  // Direct children of the vitest process are its own: the test workers and the transform service. A test's
  // processes are children of a worker (or orphans), so this never excludes them.
  return findProcesses({ marker }).filter((p) => !runner.has(p.pid) && p.ppid !== process.pid);
}

async function waitForLeftovers(marker: string, timeoutMs: number): Promise<ProcessInfo[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const leftovers = leftoversOf(marker);
    if (leftovers.length === 0 || Date.now() >= deadline) return leftovers;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
