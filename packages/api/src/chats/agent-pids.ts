import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { listDescendantStats, listProcStats, readProcStat } from '@band/internal';
import { join } from 'node:path';
import type { Logger } from '../internal/logger.js';

/** File in BAND_HOME listing the agent process groups this server started and has not seen end. */
export const AGENT_PIDS_FILE = 'agent-pids.json';

interface Entry {
  pid: number;
  /** /proc/<pid>/stat start time (clock ticks since boot): tells our process from a later one reusing the pid. */
  startTime: string;
}

export interface AgentPidRegistry {
  add(pid: number): void;
  remove(pid: number): void;
  /**
   * Ends the process groups a previous server left behind (it crashed or was SIGKILLed, so its agents never got
   * their abort): SIGTERM at once, as an abort does, then SIGKILL to whatever is still there after `graceMs`.
   * Only groups whose leader is provably the same process (same start time) are touched, and each process is
   * checked again by its start time before each signal. Returns how many groups. Linux only; elsewhere it only
   * forgets the list.
   */
  reapLeftovers(options?: { graceMs?: number }): number;
}

/** How long a left-behind agent's processes get to run their exit traps before SIGKILL. */
export const REAP_GRACE_MS = 1_000;

function startTimeOf(pid: number): string | undefined {
  return readProcStat(pid)?.startTime;
}

export function createAgentPidRegistry(home: string, logger: Logger): AgentPidRegistry {
  const file = join(home, AGENT_PIDS_FILE);
  const entries = new Map<number, Entry>();

  function save() {
    try {
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, `${JSON.stringify([...entries.values()])}\n`, { mode: 0o600 });
      renameSync(tmp, file);
    } catch (error) {
      logger.warn(`could not record agent pids: ${(error as Error).message}`);
    }
  }

  function load(): Entry[] {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8'));
      return Array.isArray(parsed)
        ? parsed.filter((e): e is Entry => Number.isInteger(e?.pid) && e.pid > 1 && typeof e?.startTime === 'string')
        : [];
    } catch {
      return [];
    }
  }

  return {
    add(pid) {
      const startTime = startTimeOf(pid);
      if (!startTime) return;
      entries.set(pid, { pid, startTime });
      save();
    },
    remove(pid) {
      if (entries.delete(pid)) save();
    },
    reapLeftovers({ graceMs = REAP_GRACE_MS } = {}) {
      const stats = listProcStats() ?? [];
      // pid → start time: the group, and its descendants found while the agent still holds them (a tool command
      // the agent ran in a process group of its own, as Claude Code's Bash tool does, is out of reach of the group
      // and would be re-parented to init once the agent is gone).
      const targets = new Map<number, string | undefined>();
      const leaders: Entry[] = [];
      for (const entry of load()) {
        if (entries.has(entry.pid) || startTimeOf(entry.pid) !== entry.startTime) continue;
        leaders.push(entry);
        targets.set(entry.pid, entry.startTime);
        for (const p of stats) if (p.pgrp === entry.pid) targets.set(p.pid, p.startTime);
        for (const child of listDescendantStats(entry.pid, { stats })) targets.set(child.pid, child.startTime);
      }
      // Terminate first: scripts run their exit traps. A SIGKILLed `pyenv rehash` (which many users' shell rc
      // files run, and agents source those) leaves its lock behind, and every new shell then waits 60 s for it.
      const signalAll = (signal: NodeJS.Signals) => {
        // The whole group while its leader lives (a process it forks meanwhile is in it), then each one found.
        for (const leader of leaders) {
          if (startTimeOf(leader.pid) !== leader.startTime) continue;
          try {
            process.kill(-leader.pid, signal);
          } catch {
            // already gone
          }
        }
        for (const [pid, startTime] of targets) {
          if (startTimeOf(pid) !== startTime) continue; // gone, or the pid now belongs to another process
          try {
            process.kill(pid, signal);
          } catch {
            // already gone
          }
        }
      };
      signalAll('SIGTERM');
      if (targets.size > 0) setTimeout(() => signalAll('SIGKILL'), graceMs);
      if (leaders.length)
        logger.warn(`ended ${leaders.length} coding agent process group(s) left by a previous server`);
      save();
      return leaders.length;
    },
  };
}
