import { isProcessAlive, listDescendantStats, listProcStats, readProcStat } from '@band/internal';

/**
 * Every live descendant of `rootPid` (not the root itself), children before grandchildren.
 * Walks `/proc` rather than the process group: PTY shells call setsid() and leave the group.
 */
export function listDescendants(rootPid: number, procDir = '/proc'): number[] {
  return listDescendantStats(rootPid, { procDir }).map((stat) => stat.pid);
}

/** The kernel's start time of a process (clock ticks since boot): with the pid, it names one process for good. */
export function readStartTime(pid: number, procDir = '/proc'): string | undefined {
  const stat = readProcStat(pid, procDir);
  // Zombies have exited already.
  return stat && stat.state !== 'Z' ? stat.startTime : undefined;
}

/**
 * The processes under a root, remembered while the root runs. Once the root dies its children are re-parented
 * and can no longer be found from it, so whoever stops a tree records it beforehand (and again as it grows).
 * Each pid is kept with its start time, so a pid the system reuses later for someone else is never signalled.
 */
export class RecordedTree {
  readonly #known = new Map<number, string>();
  readonly rootPid: number;
  readonly procDir: string;
  constructor(rootPid: number, procDir = '/proc') {
    this.rootPid = rootPid;
    this.procDir = procDir;
  }

  /** Adds the root's current descendants. Without /proc nothing is found (the process group still reaches them). */
  record(): void {
    for (const pid of listDescendants(this.rootPid, this.procDir)) {
      const start = readStartTime(pid, this.procDir);
      if (start !== undefined && !this.#known.has(pid)) this.#known.set(pid, start);
    }
  }

  /** The recorded processes that are still the same live processes. */
  alive(): number[] {
    return [...this.#known].filter(([pid, start]) => readStartTime(pid, this.procDir) === start).map(([pid]) => pid);
  }
}

/** Live members of a process group (Band starts its children as group leaders: their own children stay in it). */
export function listProcessGroup(pgid: number, procDir = '/proc'): number[] {
  return (listProcStats(procDir) ?? []).filter((s) => s.state !== 'Z' && s.pgrp === pgid).map((s) => s.pid);
}

export { isProcessAlive } from '@band/internal';

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Stops a process and everything it started: the tree is collected first (children re-parent to init
 * once their parent dies, so it could not be found afterwards), then `sig` goes to all of it, and whatever
 * is still alive after `graceMs` gets SIGKILL. Resolves when every collected pid is gone (or after the
 * SIGKILL round, bounded).
 */
export async function killTree(
  rootPid: number,
  options: { signal?: NodeJS.Signals; graceMs?: number; procDir?: string } = {},
): Promise<number[]> {
  const { signal: sig = 'SIGTERM', graceMs = 3_000, procDir = '/proc' } = options;
  const pids = [rootPid, ...listDescendants(rootPid, procDir)];
  // The process group too: Band starts its children as group leaders (detached), and without /proc (macOS) the
  // group is the only way to reach grandchildren. A group with this id exists only while led by rootPid or
  // holding what rootPid left behind, so it never reaches anyone else.
  signal(-rootPid, sig);
  for (const pid of pids) signal(pid, sig);
  const alive = () => pids.filter((pid) => isProcessAlive(pid, { procDir }));
  if (await waitUntil(() => alive().length === 0, graceMs)) return pids;
  // Late children started during the grace period are collected again before the hard kill.
  const late = [rootPid, ...pids].flatMap((pid) =>
    isProcessAlive(pid, { procDir }) ? [pid, ...listDescendants(pid, procDir)] : [],
  );
  signal(-rootPid, 'SIGKILL');
  for (const pid of new Set([...alive(), ...late])) signal(pid, 'SIGKILL');
  await waitUntil(() => alive().length === 0, 2_000);
  return pids;
}

/** Polls `check` every 25 ms until it is true or `timeoutMs` passes. */
export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}
