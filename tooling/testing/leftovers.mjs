#!/usr/bin/env node
// `.ci/run`'s last check: fails when a process started by the run is still alive after `npm test` has exited.
//   node tooling/testing/leftovers.mjs --marker NAME=value [--dir /path]... [--grace-ms 10000]
// A process counts when its environment holds the marker (every process the run starts inherits it) or its
// working directory is inside one of the dirs (the run's own TMPDIR). This script and its ancestors (the CI
// shell) do not count, nor turbo's daemon (a build tool's cache, not something a test started). Leftovers
// are listed, killed, and the exit code is 1.
import { ancestorsOf, findProcesses } from './processes.mjs';

const args = process.argv.slice(2);
const values = (name) => args.flatMap((a, i) => (a === name && args[i + 1] !== undefined ? [args[i + 1]] : []));
const marker = values('--marker')[0];
const dirs = values('--dir');
const graceMs = Number(values('--grace-ms')[0] ?? 10_000);
if (!marker && dirs.length === 0) {
  console.error('usage: leftovers.mjs --marker NAME=value [--dir /path]... [--grace-ms 10000]');
  process.exit(2);
}

const mine = ancestorsOf(process.pid);
const isTurboDaemon = (p) => /(^|\/)turbo(\.exe)?\b.*\bdaemon\b/.test(p.cmdline);
const find = () =>
  findProcesses({ marker, dirs }).filter((p) => !mine.has(p.pid) && p.ppid !== process.pid && !isTurboDaemon(p));
const deadline = Date.now() + graceMs;
let leftovers = find();
while (leftovers.length > 0 && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  leftovers = find();
}
if (leftovers.length === 0) {
  console.log('leftovers: no process started by the run is still alive');
  process.exit(0);
}
console.error(`leftovers: ${leftovers.length} process(es) started by the run are still alive (now killed):`);
for (const p of leftovers) {
  console.error(`  ${p.pid} (parent ${p.ppid}, ${p.why}): ${p.cmdline.slice(0, 200)}`);
  try {
    process.kill(p.pid, 'SIGKILL');
  } catch {
    // Gone meanwhile.
  }
}
process.exit(1);
