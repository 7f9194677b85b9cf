#!/usr/bin/env node
// Benchmark: agent stdout line -> chat service (SQLite append + bus) -> tRPC WebSocket subscriber.
// Prints a table and writes bench-results/api-chat-events.json. Needs built packages (npm run build).
// It lives with the chat service it measures (it moved here from @band/agents, which sits below @band/api).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { createBandApi } from '@band/api';
import { createGate, memorySessionStore } from '@band/auth';
import { loadSettings } from '@band/settings';
import { openStore } from '@band/store';

const dir = mkdtempSync(join(tmpdir(), 'band-chat-bench-'));
const home = join(dir, 'home');
const worktree = join(dir, 'worktree');
mkdirSync(worktree, { recursive: true });
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const settings = await loadSettings({ home });
await settings.update((s) => ({
  ...s,
  codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }],
  defaultCodingAgent: 'fake',
}));
const store = openStore(join(home, 'band.db'));
const project = store.projects.create({ name: 'bench', path: worktree, defaultBranch: 'main' });
const workspace = store.workspaces.create({
  projectId: project.id,
  branch: 'main',
  baseBranch: 'main',
  path: worktree,
  status: 'ready',
});
// The API as the server composes it (public surface only): chats stream over its tRPC WebSocket. The agent's
// environment is read at each spawn, so each scenario sets the fake CLI's script in it.
const agentEnv = { ...process.env };
const http = createServer();
await new Promise((r) => http.listen(0, '127.0.0.1', r));
const gate = createGate({ settings, home, sessions: memorySessionStore(), localPort: http.address().port });
const api = await createBandApi({ home, settings, gate, logger: silent, env: agentEnv });
const chats = api.services.chats;
const root = { kind: 'root', listener: 'local' };
http.on('upgrade', (req, socket, head) => {
  if (!api.handleUpgrade(req, socket, head, root)) socket.destroy();
});
const url = `ws://127.0.0.1:${http.address().port}/api/trpc-ws`;

async function scenario({ subscribers, events: n, rate }) {
  for (const key of Object.keys(agentEnv)) if (key.startsWith('FAKE_AGENT_')) delete agentEnv[key];
  Object.assign(agentEnv, fakeAgentEnv({ scenario: 'flood', events: n, rate }));
  const chat = chats.create({ workspaceId: workspace.id });
  // Subscribers are phones, each parsing its own frames: spread over two worker threads (a machine with two cores
  // or more) so that one thread decoding every subscriber's JSON does not stand in for the server's limit.
  const groups = subscribers > 1 ? 2 : 1;
  const path = process.env.BENCH_PATH ?? 'chats.eventBatches';
  const workers = Array.from({ length: groups }, (_, g) => {
    const count = Math.floor(subscribers / groups) + (g < subscribers % groups ? 1 : 0);
    return new Worker(fileURLToPath(new URL('./ws-clients.mjs', import.meta.url)), {
      workerData: { url, chatId: chat.id, subscribers: count, path },
    });
  });
  let ready = 0;
  const reports = await Promise.all(
    workers.map(
      (worker) =>
        new Promise((resolve, reject) => {
          worker.on('error', reject);
          worker.on('message', (m) => {
            if (m.type === 'ready' && ++ready === workers.length) chats.send({ chatId: chat.id, message: 'go' });
            else if (m.type === 'done') resolve(m);
            else if (m.type === 'error') reject(new Error(m.message));
          });
        }),
    ),
  );
  await Promise.all(workers.map((w) => w.terminate()));
  const result = {
    perSubscriber: reports.flatMap((r) => r.perSubscriber),
    latencies: reports.flatMap((r) => r.latencies),
  };
  const lastSeq = store.chatEvents.lastSeq(chat.id);
  const lossless = result.perSubscriber.every(
    (s) => s.count === lastSeq && s.unique === lastSeq && s.max === lastSeq && s.ordered,
  );
  const spans = result.perSubscriber.map((s) => (s.last - s.first) / 1000);
  const perSecond = n / Math.max(...spans);
  const sorted = Float64Array.from(result.latencies).sort();
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return { p50: pct(50), p99: pct(99), perSecond, lossless, lastSeq, samples: sorted.length };
}

// BAND_BENCH_QUICK=1 (npm run bench -- --quick): a tenth of the events, to check the bench works.
const scale = process.env.BAND_BENCH_QUICK === '1' ? 0.1 : 1;
const results = [];
const table = [];
function record(name, value, unit, note) {
  results.push({ name, value: Number(value.toFixed(3)), unit, note });
  table.push([name, value.toFixed(unit === 'ms' ? 2 : 0), unit, note]);
}

try {
  const only = process.env.BENCH_ONLY; // e.g. "flood-50" to profile one scenario; BENCH_EVENTS=n to size the flood
  for (const subscribers of only ? [] : [1, 50]) {
    // About the pace of a real agent's token stream; the flood below measures saturation.
    const rate = 100;
    const n = Math.round((subscribers === 1 ? 1_000 : 600) * scale);
    const r = await scenario({ subscribers, events: n, rate });
    // Lost or duplicated events make the latency meaningless: the bench fails rather than print it.
    if (!r.lossless)
      throw new Error(`${n} events to ${subscribers} subscriber(s): events were lost, duplicated or reordered`);
    const note = `${n} events at ${rate}/s, ${subscribers} subscriber(s), no loss`;
    record(`stdout line -> WS subscriber p50 (${subscribers} sub)`, r.p50, 'ms', note);
    record(`stdout line -> WS subscriber p99 (${subscribers} sub)`, r.p99, 'ms', note);
  }
  for (const subscribers of only ? [Number(only.split('-')[1])] : [1, 50]) {
    const n = Number(process.env.BENCH_EVENTS) || Math.round(20_000 * scale);
    const r = await scenario({ subscribers, events: n });
    if (!r.lossless)
      throw new Error(
        `flood of ${n} events to ${subscribers} subscriber(s): events were lost, duplicated or reordered`,
      );
    record(
      `sustained events/s, flood (${subscribers} sub)`,
      r.perSecond,
      'events/s',
      `${n} events as fast as the fake CLI writes, each stored in SQLite and delivered to every subscriber; ` +
        `no loss, no duplicates, in order`,
    );
  }
} finally {
  await api.close();
  await gate.close();
  http.close();
  store.close();
  await settings.close();
  rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...[['BENCHMARK', 'VALUE', 'UNIT', 'NOTE'], ...table].map((row) => String(row[i]).length)),
);
for (const row of [['BENCHMARK', 'VALUE', 'UNIT', 'NOTE'], ...table])
  console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  '));
const out = new URL('../../../bench-results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(
  new URL('api-chat-events.json', out),
  `${JSON.stringify({ package: '@band/api', bench: 'chat-events', results }, null, 2)}\n`,
);
