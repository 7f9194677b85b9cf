// Fault: the server is SIGKILLed while the REAL Claude Code (offline, scripted model) is mid-turn, running a Bash
// command the user approved, with a terminal (a shell and its jobs), a language server (typescript-language-server
// and its tsserver) and the tunnel (cloudflared, the fake, through the fake edge) running too. Then a new server
// starts on the same BAND_HOME. Survived: within 5 s of the new server listening, no process the old server started
// is alive (each checked by pid and start time); the turn is marked failed with a clear message; band.db passes
// PRAGMA integrity_check; and the chat goes on in Claude Code's own session (the model sees the earlier messages).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { claudeCodeOfflineEnv, findClaudeCodeBinary, startScriptedModel } from '@band/agents/testing';
import { listDescendantStats, readProcStat } from '@band/internal';
import { loadSettings } from '@band/settings';
import { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge } from '@band/tunnel/testing';
import WebSocket from 'ws';
import {
  createReport,
  integrityCheck,
  makeRepo,
  runCleanup,
  serveInProcess,
  stopChildren,
  tempDir,
  trpcHttp,
  until,
} from './lib.mjs';

const report = createReport(
  'server-killed-real',
  'SIGKILL of the server while the real Claude Code runs an approved Bash command, ' +
    'with a terminal, a language server and the tunnel running; then a restart on the same BAND_HOME',
);
const FIRST_PROMPT = 'Run the long command, please.';

/** Every descendant of `root` with its start time and command line (@band/internal's /proc walk). */
const commandLine = (pid) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return ''; // exited meanwhile
  }
};
const descendants = (root) =>
  listDescendantStats(root).map((p) => ({ pid: p.pid, start: p.startTime, cmd: commandLine(p.pid) }));
/** Alive and still the same process (same start time): a reused pid does not count. */
const stillRunning = (p) => {
  const stat = readProcStat(p.pid);
  return stat !== undefined && stat.state !== 'Z' && stat.startTime === p.start;
};
const kind = (cmd) =>
  /claude/.test(cmd)
    ? 'claude'
    : /cloudflared|fake-cloudflared/.test(cmd)
      ? 'cloudflared'
      : /tsserver|typescript-language-server/.test(cmd)
        ? 'language server'
        : /band-approvals/.test(cmd)
          ? 'approvals mcp'
          : /sleep 600/.test(cmd)
            ? 'approved Bash command'
            : 'terminal or other';

const scratch = tempDir('band-soak-kill-real-');
const home = join(scratch.path, 'home');
const children = [];
const cleanup = [];
const snapshot = [];
try {
  const claude = findClaudeCodeBinary();
  if (!claude) throw new Error('the @anthropic-ai/claude-code CLI is not installed (npm ci)');
  const model = await startScriptedModel((_request, index) =>
    index === 0
      ? {
          content: [
            {
              type: 'tool_use',
              name: 'Bash',
              input: { command: 'echo started > started.txt && sleep 600', description: 'the long command' },
            },
          ],
        }
      : { content: [{ type: 'text', text: 'Carrying on where we were.' }] },
  );
  cleanup.push(() => model.close());
  const edge = await startFakeEdge();
  cleanup.push(() => edge.close());
  const env = {
    ...claudeCodeOfflineEnv({ home: join(scratch.path, 'agent-home'), baseUrl: model.url }),
    BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    ...edge.env,
    ...fakeCloudflaredEnv({ scenario: 'ok', stateDir: join(scratch.path, 'cloudflared') }),
  };
  const settings = await loadSettings({ home });
  await settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: claude }],
    defaultCodingAgent: 'claude-code',
  }));
  const token = settings.get().tokenSecret;
  await settings.close();

  const first = await serveInProcess(home, env, children);
  let call = trpcHttp(first.url, token);
  const unwrap = async (promise, what) => {
    const r = await promise;
    if (!r.ok) throw new Error(`${what}: ${r.error?.message ?? r.status}`);
    return r.data;
  };
  const repo = makeRepo(join(scratch.path, 'repo'));
  await unwrap(call('projects.register', { path: repo, name: 'soak' }, true), 'projects.register');
  const { workspace } = await unwrap(
    call('workspaces.create', { project: 'soak', branch: 'soak/kill-real' }, true),
    'workspaces.create',
  );
  await until(
    async () => (await call('workspaces.get', { workspace: workspace.id })).data?.status === 'ready',
    'the workspace to be ready',
    60_000,
    100,
  );

  // The turn: Claude Code asks to run `sleep 600`, the user allows it, and it runs.
  // Claude Code's default permission mode: Bash asks first.
  const chat = await unwrap(call('chats.create', { workspaceId: workspace.id, mode: 'default' }, true), 'chats.create');
  const { turn } = await unwrap(call('chats.send', { chatId: chat.id, message: FIRST_PROMPT }, true), 'chats.send');
  const request = await until(
    async () =>
      (await call('chats.history', { chatId: chat.id, limit: 5_000 })).data?.events.find(
        (e) => e.event.type === 'approval-request',
      )?.event,
    'the approval request',
    120_000,
    100,
  );
  await unwrap(call('approvals.answer', { requestId: request.requestId, answer: 'allow' }, true), 'approvals.answer');
  await until(
    () => descendants(first.pid).some((p) => /sleep 600/.test(p.cmd)),
    'the approved command to run',
    60_000,
    50,
  );

  // A terminal with a job, a language server with a client, and the tunnel.
  await unwrap(
    call('terminals.create', { workspaceId: workspace.id, command: 'sleep 650 & sleep 651' }, true),
    'terminals.create',
  );
  const lsp = new WebSocket(`${first.url.replace('http', 'ws')}/api/lsp/${workspace.id}/typescript`, {
    headers: { authorization: `Bearer ${token}`, origin: first.url },
  });
  lsp.on('error', () => {});
  cleanup.push(() => lsp.terminate());
  await new Promise((resolve, reject) => {
    lsp.once('open', resolve);
    lsp.once('error', reject);
  });
  const initialized = new Promise((resolve) =>
    lsp.on('message', (data) => JSON.parse(String(data)).id === 1 && resolve()),
  );
  lsp.send(
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { processId: null, rootUri: null, capabilities: {} },
    }),
  );
  await until(
    () => Promise.race([initialized.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]),
    'the language server to answer initialize',
    120_000,
    0,
  );
  await unwrap(call('tunnel.start', undefined, true), 'tunnel.start');
  await until(() => descendants(first.pid).some((p) => /sleep 651/.test(p.cmd)), 'the terminal job to run', 30_000, 50);

  snapshot.push(...descendants(first.pid));
  const kinds = new Set(snapshot.map((p) => kind(p.cmd)));
  report.check(
    'before the kill: Claude Code, its approved command, a terminal, a language server and cloudflared are running',
    ['claude', 'approved Bash command', 'language server', 'cloudflared', 'terminal or other'].every((k) =>
      kinds.has(k),
    ),
    `${snapshot.length} processes: ${[...kinds].join(', ')}`,
  );

  first.child.kill('SIGKILL');
  await new Promise((resolve) => first.child.once('exit', resolve));
  const orphans = snapshot.filter(stillRunning);
  report.figure('processes of the old server alive right after the SIGKILL (orphans)', orphans.length, 'processes');

  const second = await serveInProcess(home, env, children);
  const listening = performance.now();
  call = trpcHttp(second.url, token);
  let reapedMs;
  try {
    await until(() => snapshot.every((p) => !stillRunning(p)), 'the old processes to be gone', 5_000, 10);
    reapedMs = performance.now() - listening;
  } catch {}
  const left = snapshot.filter(stillRunning);
  report.check(
    'within 5 s of the restart, no process the old server started is alive',
    reapedMs !== undefined,
    reapedMs === undefined
      ? `still alive: ${left.map((p) => `${p.pid} ${kind(p.cmd)} (${p.cmd.slice(0, 60)})`).join('; ')}`
      : `${snapshot.length} processes, all gone ${Math.round(reapedMs)} ms after the new server listened`,
  );
  const history = await unwrap(call('chats.history', { chatId: chat.id, limit: 5_000 }), 'chats.history');
  const killed = history.turns.find((t) => t.id === turn.id);
  report.check(
    'the interrupted turn is marked failed with a clear message',
    killed?.status === 'failed' && /server stopped/i.test(killed?.error ?? ''),
    `${killed?.status}: ${killed?.error}`,
  );
  const integrity = await integrityCheck(home);
  report.check('band.db passes PRAGMA integrity_check', integrity === 'ok', integrity);

  const scriptedBefore = model.requests.filter((r) => r.scripted).length;
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
    120_000,
    100,
  );
  const after = await unwrap(call('chats.history', { chatId: chat.id, limit: 1 }), 'chats.history');
  report.check(
    'the chat goes on after the restart',
    after.turns.find((t) => t.id === next.turn.id)?.status === 'done',
    after.turns.find((t) => t.id === next.turn.id)?.status,
  );
  const resumed = model.requests.filter((r) => r.scripted).slice(scriptedBefore)[0];
  const sawEarlier = JSON.stringify(resumed?.body?.messages ?? []).includes(FIRST_PROMPT);
  report.check(
    "the next turn continues Claude Code's own session (the model receives the killed turn's messages)",
    sawEarlier,
    sawEarlier ? 'the first prompt is in the resumed conversation' : 'a fresh conversation',
  );
  report.figure('restart to listening', second.startMs, 'ms');
  if (reapedMs !== undefined) report.figure('old processes gone after listening', reapedMs, 'ms');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await stopChildren(children);
  await runCleanup(cleanup);
  for (const p of snapshot) if (stillRunning(p)) process.kill(p.pid, 'SIGKILL');
  scratch.dispose();
}
