// One reading of /proc/<pid>/stat for every package that supervises processes (terminals, agents, cloudflared, the
// desktop's server): the pid, its state, parent, group, session and start time. Elsewhere (macOS) there is no /proc,
// and callers fall back to process groups and `kill(pid, 0)`.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** Field 3: `R`, `S`, `D`, `Z` (zombie: exited, waiting to be reaped), `T`, … */
  state: string;
  ppid: number;
  /** Process group id. */
  pgrp: number;
  /** Session id: a PTY's shell is a session leader, and `setsid` starts a new session. */
  sid: number;
  /**
   * Clock ticks since boot (field 22): with the pid it names one process for good, across pid reuse. Undefined
   * only for a line cut short (never from a real kernel).
   */
  startTime: string | undefined;
}

/** Parses one `/proc/<pid>/stat` line. The command (field 2) is in parentheses and may hold spaces and `)`. */
export function parseProcStat(pid: number, line: string): ProcStat | undefined {
  const close = line.lastIndexOf(')');
  if (close < 0) return undefined;
  // `rest[0]` is field 3 (state); field n is rest[n - 3].
  const rest = line.slice(close + 2).split(' ');
  const [ppid, pgrp, sid] = [Number(rest[1]), Number(rest[2]), Number(rest[3])];
  if (!rest[0] || !rest[3] || !Number.isInteger(ppid) || !Number.isInteger(pgrp) || !Number.isInteger(sid))
    return undefined;
  return { pid, state: rest[0], ppid, pgrp, sid, startTime: rest[19] || undefined };
}

/** The process's stat, or undefined once it is gone (or where there is no /proc). */
export function readProcStat(pid: number, procDir = '/proc'): ProcStat | undefined {
  try {
    return parseProcStat(pid, readFileSync(`${procDir}/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process's stat (zombies included), or undefined where there is no /proc. */
export function listProcStats(procDir = '/proc'): ProcStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return undefined;
  }
  const stats: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(Number(entry), procDir);
    if (stat) stats.push(stat);
  }
  return stats;
}

/**
 * Every live descendant of `rootPid` (not the root itself), children before grandchildren, from one reading of
 * /proc (or the `stats` given). By parent pid, not by process group: PTY shells and some tool runners (Claude
 * Code's Bash tool) start their own group. Empty where there is no /proc.
 */
export function listDescendantStats(
  rootPid: number,
  options: { procDir?: string; stats?: ProcStat[] } = {},
): ProcStat[] {
  const children = new Map<number, ProcStat[]>();
  for (const stat of options.stats ?? listProcStats(options.procDir) ?? []) {
    if (stat.state === 'Z') continue; // exited: only waits to be reaped
    const list = children.get(stat.ppid) ?? [];
    list.push(stat);
    children.set(stat.ppid, list);
  }
  const found: ProcStat[] = [];
  const queue = [rootPid];
  const seen = new Set<number>(queue);
  // Bounded by the number of processes: every pid is visited at most once.
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/**
 * The pids of the processes whose environment holds `name=value` (their environment at start, which children
 * inherit: a job that left its parent's session with `setsid` still carries it). Only this user's processes (root
 * may read everyone's environment, but a marker another user copied must not make Band signal their process);
 * empty where there is no /proc.
 */
export function listProcessesWithEnvironment(name: string, value: string, procDir = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return [];
  }
  // A whole entry: `\0name=value\0` once the environment is framed by NULs (it ends with one already).
  const wanted = Buffer.from(`\0${name}=${value}\0`);
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: Buffer;
    try {
      if (uid !== undefined && statSync(`${procDir}/${entry}`).uid !== uid) continue;
      environ = readFileSync(`${procDir}/${entry}/environ`);
    } catch {
      continue; // gone, or another user's
    }
    if (Buffer.concat([Buffer.from([0]), environ, Buffer.from([0])]).includes(wanted)) pids.push(Number(entry));
  }
  return pids;
}

/**
 * True while a process with this pid runs. A zombie counts as gone: it has exited and only waits for its parent
 * (often an init that reaps slowly, in containers). A process of another user counts (kill answers EPERM).
 */
export function isProcessAlive(pid: number, options: { procDir?: string } = {}): boolean {
  // An options object, not a positional procDir: `pids.filter(isProcessAlive)` passes the index second.
  const procDir = (typeof options === 'object' && options?.procDir) || '/proc';
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = readProcStat(pid, procDir);
  if (stat) return stat.state !== 'Z';
  // Unreadable: with a /proc it exited between the two checks; without one (macOS) kill(0) is all there is.
  return !existsSync(procDir);
}
