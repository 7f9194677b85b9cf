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
   * Kills the process groups a previous server left behind (it crashed or was SIGKILLed, so its agents never
   * got their abort). Only groups whose leader is provably the same process (same start time) are killed.
   * Returns how many were killed. Linux only; elsewhere it only forgets the list.
   */
  reapLeftovers(): number;
}

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
    reapLeftovers() {
      let killed = 0;
      const stats = listProcStats() ?? [];
      for (const entry of load()) {
        if (entries.has(entry.pid) || startTimeOf(entry.pid) !== entry.startTime) continue;
        // Its descendants first, found while it still holds them: a tool command the agent ran in a process group
        // of its own (Claude Code's Bash tool does) is out of reach of the group kill and would be re-parented to
        // init once the agent is gone.
        const tree = listDescendantStats(entry.pid, { stats });
        try {
          process.kill(-entry.pid, 'SIGKILL');
          killed++;
        } catch {
          // already gone
        }
        for (const child of tree) {
          if (startTimeOf(child.pid) !== child.startTime) continue; // gone, or the pid now belongs to another process
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
      if (killed) logger.warn(`killed ${killed} coding agent process group(s) left by a previous server`);
      save();
      return killed;
    },
  };
}
