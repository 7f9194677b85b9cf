import { isProcessAlive as isAlive, listProcStats } from '@band/internal';

/** True while the process runs (a zombie counts as gone). One argument, so `pids.filter(isProcessAlive)` is right. */
export function isProcessAlive(pid: number): boolean {
  return isAlive(pid);
}

/**
 * The process and everything it started: its descendants by parent pid, plus every member of its session
 * (a PTY child is a session leader, so `nohup`-style orphans re-parented to init are still found).
 * Returns undefined where `/proc` does not exist (macOS).
 */
export function listProcessTree(rootPid: number): number[] | undefined {
  const all = listProcStats();
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

/**
 * Sends `signal` to the process tree rooted at `pid` (see {@link listProcessTree}); falls back to its process group.
 */
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
