#!/usr/bin/env node
// Benchmark: agent stdout line -> chat service (SQLite append + bus) -> tRPC WebSocket subscriber.
// Prints a table and writes bench-results/agents.json. Needs built packages (npm run build).
import { EventEmitter } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createCodingAgent } from '@band/agents';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { appRouter, createChatService, createContextInner } from '@band/api';
import { loadSettings } from '@band/settings';
import { openStore } from '@band/store';
import { applyWSSHandler } from '@trpc/server/adapters/ws';
import { WebSocketServer } from 'ws';

const dir = mkdtempSync(join(tmpdir(), 'band-agents-bench-'));
const home = join(dir, 'home');
const worktree = join(dir, 'worktree');
mkdirSync(worktree, { recursive: true });
const silent = { debug() {}, info() {}, warn() {}, error() {} };

const settings = await loadSettings({ home });
await settings.update((s) => ({ ...s, codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }], defaultCodingAgent: 'fake' }));
const store = openStore(join(home, 'band.db'));
const project = store.projects.create({ name: 'bench', path: worktree, defaultBranch: 'main' });
const workspace = store.workspaces.create({ projectId: project.id, branch: 'main', baseBranch: 'main', path: worktree, status: 'ready' });
const emitter = new EventEmitter();
emitter.setMaxListeners(0);
const events = {
  on(event, listener) {
    emitter.on(event, listener);
    return () => emitter.off(event, listener);
  },
  emit: (event, ...args) => emitter.emit(event, ...args),
  iterate: () => {
    throw new Error('unused');
  },
};
let fake = {};
const chats = createChatService({
  store,
  settings,
  events,
  logger: silent,
  home,
  env: process.env,
  createAgent: (config) => createCodingAgent({ type: config.type, command: config.command, env: fakeAgentEnv(fake) }),
});
const services = { chats, events };
const http = createServer();
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });
const handler = applyWSSHandler({ wss, router: appRouter, createContext: () => createContextInner({ principal: { kind: 'root', listener: 'local' }, services }) });
await new Promise((r) => http.listen(0, '127.0.0.1', r));
const url = `ws://127.0.0.1:${http.address().port}`;

async function scenario({ subscribers, events: n, rate }) {
  fake = { scenario: 'flood', events: n, rate };
  const chat = chats.create({ workspaceId: workspace.id });
  const worker = new Worker(fileURLToPath(new URL('./ws-clients.mjs', import.meta.url)), { workerData: { url, chatId: chat.id, subscribers } });
  const result = await new Promise((resolve, reject) => {
    worker.on('error', reject);
    worker.on('message', (m) => {
      if (m.type === 'ready') chats.send({ chatId: chat.id, message: 'go' });
      else if (m.type === 'done') resolve(m);
      else if (m.type === 'error') reject(new Error(m.message));
    });
  });
  await worker.terminate();
  const lastSeq = store.chatEvents.lastSeq(chat.id);
  const lossless = result.perSubscriber.every((s) => s.count === lastSeq && s.unique === lastSeq && s.max === lastSeq && s.ordered);
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
  const only = process.env.BENCH_ONLY; // e.g. "flood-50" to profile one scenario
  for (const subscribers of only ? [] : [1, 50]) {
    // About the pace of a real agent's token stream; the flood below measures saturation.
    const rate = 100;
    const n = Math.round((subscribers === 1 ? 1_000 : 600) * scale);
    const r = await scenario({ subscribers, events: n, rate });
    // Lost or duplicated events make the latency meaningless: the bench fails rather than print it.
    if (!r.lossless) throw new Error(`${n} events to ${subscribers} subscriber(s): events were lost, duplicated or reordered`);
    const note = `${n} events at ${rate}/s, ${subscribers} subscriber(s), no loss`;
    record(`stdout line -> WS subscriber p50 (${subscribers} sub)`, r.p50, 'ms', note);
    record(`stdout line -> WS subscriber p99 (${subscribers} sub)`, r.p99, 'ms', note);
  }
  for (const subscribers of only ? [Number(only.split('-')[1])] : [1, 50]) {
    const n = Math.round((subscribers === 1 ? 20_000 : 5_000) * scale);
    const r = await scenario({ subscribers, events: n });
    if (!r.lossless) throw new Error(`flood of ${n} events to ${subscribers} subscriber(s): events were lost, duplicated or reordered`);
    record(`sustained events/s, flood (${subscribers} sub)`, r.perSecond, 'events/s', `${n} events as fast as the fake CLI writes, each stored in SQLite and delivered to every subscriber; no loss, no duplicates, in order`);
  }
} finally {
  await chats.close();
  handler.broadcastReconnectNotification();
  for (const c of wss.clients) c.terminate();
  wss.close();
  http.close();
  store.close();
  await settings.close();
  rmSync(dir, { recursive: true, force: true });
}

const widths = [0, 1, 2, 3].map((i) => Math.max(...[['BENCHMARK', 'VALUE', 'UNIT', 'NOTE'], ...table].map((row) => String(row[i]).length)));
for (const row of [['BENCHMARK', 'VALUE', 'UNIT', 'NOTE'], ...table]) console.log(row.map((c, i) => String(c).padEnd(widths[i])).join('  '));
const out = new URL('../../../bench-results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL('agents.json', out), `${JSON.stringify({ package: '@band/agents', results }, null, 2)}\n`);
