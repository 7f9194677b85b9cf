// Store throughput: appends per second (single and batched) and listAfter latency for a reconnecting subscriber.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../dist/index.js';

const dir = mkdtempSync(join(tmpdir(), 'band-store-bench-'));
const store = openStore(join(dir, 'band.db'));
const results = [];
try {
  const project = store.projects.create({ name: 'bench', path: '/bench', defaultBranch: 'main' });
  const ws = store.workspaces.create({ projectId: project.id, branch: 'b', baseBranch: 'main', path: '/bench/b' });
  const chat = store.chats.create({ workspaceId: ws.id, agentId: 'claude-code' });
  const turn = store.turns.create({ chatId: chat.id, prompt: 'bench' });
  const event = { type: 'text-delta', text: 'x'.repeat(80) };

  // BAND_BENCH_QUICK=1 (npm run bench -- --quick): a tenth of the events, to check the bench works.
  const N = process.env.BAND_BENCH_QUICK === '1' ? 2_000 : 20_000;
  let t0 = performance.now();
  for (let i = 0; i < N; i++) store.chatEvents.append(chat.id, turn.id, event);
  let ms = performance.now() - t0;
  results.push({
    name: 'append (one transaction per event)',
    value: Math.round(N / (ms / 1000)),
    unit: 'events/s',
    note: `${N} events of ~100 bytes, WAL, synchronous=NORMAL`,
  });

  const batch = Array.from({ length: 50 }, () => event);
  t0 = performance.now();
  for (let i = 0; i < N / 50; i++) store.chatEvents.appendMany(chat.id, turn.id, batch);
  ms = performance.now() - t0;
  results.push({
    name: 'appendMany (50 per transaction)',
    value: Math.round(N / (ms / 1000)),
    unit: 'events/s',
    note: `${N} events`,
  });

  const samples = [];
  for (let i = 0; i < 200; i++) {
    const after = Math.floor(Math.random() * (2 * N - 500));
    const s = performance.now();
    store.chatEvents.listAfter(chat.id, after, 500);
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  results.push({
    name: 'listAfter 500 events (p50)',
    value: +samples[100].toFixed(3),
    unit: 'ms',
    note: `chat with ${2 * N} events`,
  });
  results.push({ name: 'listAfter 500 events (p99)', value: +samples[198].toFixed(3), unit: 'ms', note: '' });
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}

console.table(results);
const out = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'store.json'), JSON.stringify({ package: '@band/store', results }, null, 2));
