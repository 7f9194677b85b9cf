import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  ppid: number;
  sid: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself contain spaces or parentheses.
    const rest = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), sid: Number(rest[3]) };
  } catch {
    return undefined;
  }
}

function listProcesses(): ProcStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const stats: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat) stats.push(stat);
  }
  return stats;
}

/**
 * The process and everything it started: its descendants by parent pid, plus every member of its session
 * (a PTY child is a session leader, so `nohup`-style orphans re-parented to init are still found).
 * Returns undefined where `/proc` does not exist (macOS).
 */
export function listProcessTree(rootPid: number): number[] | undefined {
  const all = listProcesses();
  if (!all) return undefined;
  const tree = new Set<number>([rootPid]);
  const rootStat = all.find((p) => p.pid === rootPid);
  const isSessionLeader = rootStat?.sid === rootPid;
  // Parents appear before children only by chance; iterate until nothing new is found (bounded by the count).
  for (let changed = true, rounds = 0; changed && rounds < all.length; rounds++) {
    changed = false;
    for (const p of all) {
      if (tree.has(p.pid)) continue;
      if (tree.has(p.ppid) || (isSessionLeader && p.sid === rootPid)) {
        tree.add(p.pid);
        changed = true;
      }
    }
  }
  return [...tree];
}

/** Sends `signal` to the process tree rooted at `pid` (see {@link listProcessTree}); falls back to its process group. */
export function signalProcessTree(pid: number, signal: NodeJS.Signals): number[] {
  const pids = listProcessTree(pid);
  if (!pids) {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
    return [pid];
  }
  for (const target of pids) {
    try {
      process.kill(target, signal);
    } catch {
      // already gone
    }
  }
  return pids;
}

/**
 * True while a process with this pid runs. A zombie counts as gone: it has exited and only waits for its parent
 * (often an init that reaps slowly, in containers) to collect the status.
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return raw.slice(raw.lastIndexOf(')') + 2, raw.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // No /proc (macOS): kill(0) said it exists.
    return process.platform !== 'linux';
  }
}
