import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, readProcStat } from '@band/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PIDS_FILE, createAgentPidRegistry } from '../src/chats/agent-pids.js';
import { silentLogger } from '../src/internal/logger.js';
import { waitFor } from './helpers.js';

const started: number[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** An "agent" in a process group of its own (as Band starts agents) that runs a tool in another group. */
async function agentWithToolInItsOwnGroup(): Promise<{ agent: number; tool: number }> {
  const agent = spawn('sh', ['-c', 'setsid sleep 300 & echo $!; exec sleep 301'], {
    detached: true,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const tool = Number(
    await new Promise<string>((resolve) => agent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))),
  );
  started.push(agent.pid!, tool);
  await waitFor(() => expect(readProcStat(tool)?.sid).toBe(tool)); // its own session and group
  return { agent: agent.pid!, tool };
}

describe('agent pid registry', () => {
  it(
    'a new server kills what a SIGKILLed one left: ' + 'the agent group and a tool it ran in a group of its own',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'band-agent-pids-'));
      dirs.push(home);
      const { agent, tool } = await agentWithToolInItsOwnGroup();
      createAgentPidRegistry(home, silentLogger).add(agent); // the old server, killed before it could remove it
      expect(createAgentPidRegistry(home, silentLogger).reapLeftovers()).toBe(1);
      await waitFor(() => expect([agent, tool].filter((pid) => isProcessAlive(pid))).toEqual([]));
    },
  );

  it(
    "terminates first, so a left-behind agent's scripts run their exit traps (a SIGKILLed `pyenv rehash` leaves " +
      'its lock, and every new shell waits 60 s for it), then kills what ignores SIGTERM',
    async () => {
      const home = await mkdtemp(join(tmpdir(), 'band-agent-pids-'));
      dirs.push(home);
      const lock = join(home, 'rehash.lock');
      // The agent (a group leader, as Band starts agents) runs a script that holds a lock its EXIT trap removes, as
      // pyenv-rehash does, and a child that ignores SIGTERM.
      const script = `echo -n > "$0"; trap 'rm -f "$0"' EXIT; sleep 300`;
      const agent = spawn(
        'bash',
        [
          '-c',
          `bash -c '${script.replaceAll("'", "'\\''")}' "$0" & (trap '' TERM; exec sleep 302) & echo $!; wait`,
          lock,
        ],
        { detached: true, stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const stubborn = Number(
        await new Promise<string>((resolve) => agent.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))),
      );
      started.push(agent.pid!, stubborn);
      await waitFor(() => expect(existsSync(lock)).toBe(true));
      createAgentPidRegistry(home, silentLogger).add(agent.pid!); // the old server, killed before it could remove it

      // The shipped grace (REAP_GRACE_MS): 500 ms was cut short before the trap's `rm` ran on a loaded CI machine.
      expect(createAgentPidRegistry(home, silentLogger).reapLeftovers()).toBe(1);
      await waitFor(() => expect(existsSync(lock), 'the script ran its exit trap').toBe(false));
      await waitFor(() => expect([agent.pid!, stubborn].filter((pid) => isProcessAlive(pid))).toEqual([]));
    },
  );

  it('leaves alone a process that reuses a recorded pid (another start time)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'band-agent-pids-'));
    dirs.push(home);
    const { agent, tool } = await agentWithToolInItsOwnGroup();
    await writeFile(join(home, AGENT_PIDS_FILE), JSON.stringify([{ pid: agent, startTime: '1' }]));
    expect(createAgentPidRegistry(home, silentLogger).reapLeftovers()).toBe(0);
    expect(isProcessAlive(agent) && isProcessAlive(tool)).toBe(true);
  });
});
