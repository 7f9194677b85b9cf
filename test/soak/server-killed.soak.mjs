// Fault: the server is SIGKILLed mid-turn, then started again on the same BAND_HOME. The agent is the fake CLI's
// `hang` scenario: it keeps streaming nothing and has a grandchild that ignores SIGTERM, the worst case for reaping.
// Survived: within 5 s of the new server listening, neither the old agent nor its grandchild is alive; the turn is
// marked failed with a clear message; band.db passes PRAGMA integrity_check; the worktree is intact; and the chat
// goes on, resuming the agent's own session.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { loadSettings } from '@band/settings';
import {
  createReport,
  integrityCheck,
  makeRepo,
  serveInProcess,
  stopChildren,
  tempDir,
  trpcHttp,
  until,
} from './lib.mjs';

const report = createReport(
  'server-killed',
  'SIGKILL of the server while an agent (with a grandchild that ' +
    'ignores SIGTERM) is mid-turn, then a restart on the same BAND_HOME',
);
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const scratch = tempDir('band-soak-kill-');
const home = join(scratch.path, 'home');
const pidFile = join(scratch.path, 'agent.pids');
const argvFile = join(scratch.path, 'agent.argv');
const children = [];
const strays = [];
const serve = (agent) => serveInProcess(home, agent, children);
try {
  const settings = await loadSettings({ home });
  await settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }],
    defaultCodingAgent: 'fake',
  }));
  const token = settings.get().tokenSecret;
  await settings.close();

  const first = await serve({ ...fakeAgentEnv({ scenario: 'hang', pidFile, argvFile }) });
  let call = trpcHttp(first.url, token);
  const unwrap = async (promise, what) => {
    const r = await promise;
    if (!r.ok) throw new Error(`${what}: ${r.error?.message ?? r.status}`);
    return r.data;
  };
  await unwrap(
    call('projects.register', { path: makeRepo(join(scratch.path, 'repo')), name: 'soak' }, true),
    'projects.register',
  );
  const { workspace } = await unwrap(
    call('workspaces.create', { project: 'soak', branch: 'soak/kill' }, true),
    'workspaces.create',
  );
  await until(
    async () => (await call('workspaces.get', { workspace: workspace.id })).data?.status === 'ready',
    'the workspace to be ready',
    60_000,
    100,
  );
  const chat = await unwrap(call('chats.create', { workspaceId: workspace.id }, true), 'chats.create');
  const { turn } = await unwrap(call('chats.send', { chatId: chat.id, message: 'work forever' }, true), 'chats.send');
  await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').includes(' '), 'the agent to start', 60_000);
  const [agentPid, grandchildPid] = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
  strays.push(agentPid, grandchildPid);
  await until(
    async () => (await call('chats.history', { chatId: chat.id })).data?.events.some((e) => e.type === 'text-delta'),
    'the agent to stream',
    30_000,
  );

  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  report.check(
    'after the SIGKILL the agent and its grandchild were still running (orphans to reap)',
    alive(agentPid) && alive(grandchildPid),
    `agent ${agentPid}, grandchild ${grandchildPid}`,
  );

  const second = await serve({ ...fakeAgentEnv({ scenario: 'ok', argvFile }) });
  const listening = performance.now();
  call = trpcHttp(second.url, token);
  let reapedMs;
  try {
    await until(() => !alive(agentPid) && !alive(grandchildPid), 'the orphans to be reaped', 5_000, 10);
    reapedMs = performance.now() - listening;
  } catch {}
  report.check(
    'within 5 s of the restart, no process of the old turn is alive',
    reapedMs !== undefined,
    reapedMs === undefined
      ? `still alive: ${[agentPid, grandchildPid].filter(alive).join(', ')}`
      : `reaped ${Math.round(reapedMs)} ms after the new server listened`,
  );
  const history = await unwrap(call('chats.history', { chatId: chat.id, limit: 5_000 }), 'chats.history');
  const killed = history.turns.find((t) => t.id === turn.id);
  const end = history.events.findLast((e) => e.turnId === turn.id);
  report.check(
    'the interrupted turn is marked failed with a clear message',
    killed?.status === 'failed' && /server stopped/i.test(killed?.error ?? '') && end?.event.type === 'turn-end',
    `${killed?.status}: ${killed?.error}`,
  );
  const integrity = await integrityCheck(home);
  report.check('band.db passes PRAGMA integrity_check', integrity === 'ok', integrity);
  const { path: worktree } = await unwrap(call('workspaces.get', { workspace: workspace.id }), 'workspaces.get');
  let gitStatus;
  try {
    gitStatus = execFileSync('git', ['-C', worktree, 'status', '--porcelain=v1', '--branch'], { encoding: 'utf8' });
  } catch (error) {
    gitStatus = `git failed: ${error.message}`;
  }
  report.check(
    'the worktree is intact (git status works, on its branch)',
    gitStatus.startsWith('## soak/kill'),
    gitStatus.split('\n')[0],
  );

  const next = await unwrap(
    call('chats.send', { chatId: chat.id, message: 'carry on' }, true),
    'chats.send after the restart',
  );
  await until(
    async () =>
      ['done', 'failed', 'aborted'].includes(
        (await call('chats.history', { chatId: chat.id, limit: 1 })).data?.turns.find((t) => t.id === next.turn.id)
          ?.status,
      ),
    'the next turn to end',
    60_000,
    100,
  );
  const after = await unwrap(call('chats.history', { chatId: chat.id, limit: 1 }), 'chats.history');
  const argv = JSON.parse(readFileSync(argvFile, 'utf8')).argv;
  const resumed = argv[argv.indexOf('--resume') + 1];
  const sessionStart = history.events.find((e) => e.turnId === turn.id && e.event.type === 'session-start');
  report.check('the chat goes on after the restart', after.turns.find((t) => t.id === next.turn.id)?.status === 'done');
  report.check(
    "the next turn resumes the agent's own session",
    argv.includes('--resume') && resumed === sessionStart?.event.sessionId,
    `--resume ${argv.includes('--resume') ? resumed : '(not passed)'}; ` +
      `the killed turn's session ${sessionStart?.event.sessionId}`,
  );
  report.figure('restart to listening', second.startMs, 'ms');
  if (reapedMs !== undefined) report.figure('orphans reaped after listening', reapedMs, 'ms');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await stopChildren(children);
  for (const pid of strays) if (alive(pid)) process.kill(pid, 'SIGKILL');
  scratch.dispose();
}
