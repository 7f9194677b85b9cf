// Finds the processes a test run left behind: by a marker in their environment, or by a working directory
// inside the checkout or the run's temp folder. Linux only (/proc); elsewhere nothing is found.
// Used by tooling/testing/global-setup.ts (each package's vitest run) and by .ci/run (the whole run).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** `/proc/<pid>/stat` fields after the command name; undefined once the process is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

function cmdlineOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '?';
  }
}

/** `pid` and every ancestor up to init. */
export function ancestorsOf(pid) {
  const result = new Set();
  let current = pid;
  while (current !== undefined && current > 0 && !result.has(current)) {
    result.add(current);
    const ppid = Number(statFields(current)?.[1]);
    current = Number.isInteger(ppid) ? ppid : undefined;
  }
  return result;
}

/**
 * Live (non-zombie) processes whose environment holds `marker` (`NAME=value`), or, when `dirs` are given, whose
 * working directory is one of them or inside one. Processes we may not read (another user's) are passed over.
 */
export function findProcesses({ marker, dirs = [] }) {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const needle = marker ? `\0${marker}\0` : undefined;
  const result = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    let why;
    if (needle) {
      try {
        if (`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(needle)) why = 'marker';
      } catch {
        continue;
      }
    }
    if (!why && dirs.length > 0) {
      let cwd;
      try {
        cwd = readlinkSync(`/proc/${pid}/cwd`);
      } catch {
        continue;
      }
      if (dirs.some((dir) => cwd === dir || cwd.startsWith(`${dir}/`))) why = `cwd ${cwd}`;
    }
    if (!why) continue;
    const fields = statFields(pid);
    if (!fields || fields[0] === 'Z') continue;
    result.push({ pid, ppid: Number(fields[1]), cmdline: cmdlineOf(pid), why });
  }
  return result;
}

/** Live descendants of `rootPid` (not the root itself), each with its command line. */
export function descendantsOf(rootPid) {
  let entries;
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map();
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const fields = statFields(pid);
    if (!fields || fields[0] === 'Z') continue;
    const ppid = Number(fields[1]);
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const result = [];
  const queue = [rootPid];
  const seen = new Set(queue);
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      if (seen.has(child)) continue;
      seen.add(child);
      result.push({ pid: child, cmdline: cmdlineOf(child) });
      queue.push(child);
    }
  }
  return result;
}
