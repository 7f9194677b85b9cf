import { spawn } from 'node:child_process';
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

  it('leaves alone a process that reuses a recorded pid (another start time)', async () => {
    const home = await mkdtemp(join(tmpdir(), 'band-agent-pids-'));
    dirs.push(home);
    const { agent, tool } = await agentWithToolInItsOwnGroup();
    await writeFile(join(home, AGENT_PIDS_FILE), JSON.stringify([{ pid: agent, startTime: '1' }]));
    expect(createAgentPidRegistry(home, silentLogger).reapLeftovers()).toBe(0);
    expect(isProcessAlive(agent) && isProcessAlive(tool)).toBe(true);
  });
});
