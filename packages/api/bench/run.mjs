// Terminal streaming benchmarks for @band/api (built dist): keystroke-to-echo round trip over the terminal
// WebSocket (p50/p99), locally and through the fake Cloudflare edge + fake cloudflared, and output throughput
// with `yes | head -c 50M`. Prints a table and writes bench-results/api.json.
//   node bench/run.mjs [--samples 300] [--mib 50]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestGate } from '@band/auth/testing';
import { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge } from '@band/tunnel/testing';
import WebSocket from 'ws';
import { createBandApi } from '../dist/index.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
// BAND_BENCH_QUICK=1 (npm run bench -- --quick): a few samples and a small flood, to check the bench works.
const QUICK = process.env.BAND_BENCH_QUICK === '1';
const SAMPLES = option('samples', QUICK ? 20 : 300);
const FLOOD_MIB = option('mib', QUICK ? 2 : 50);
const TIMEOUT_MS = 120_000;

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const round = (n, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

// --- composition: gate + api on a local listener and a tunnel listener, like apps/dashboard/server.ts ---
const scratch = await mkdtemp(path.join(tmpdir(), 'band-api-bench-'));
const workspace = path.join(scratch, 'repo');
await mkdir(workspace, { recursive: true });
const edge = await startFakeEdge();
const testGate = await createTestGate();
const { gate } = testGate;
const servers = [];
const attach = (server, listener, api) => {
  server.on('request', async (req, res) => {
    const principal = await gate.handleRequest(req, res, listener);
    if (principal && !api.handleRequest(req, res, principal)) {
      res.statusCode = 404;
      res.end();
    }
  });
  server.on('upgrade', async (req, socket, head) => {
    const principal = await gate.handleUpgrade(req, socket, listener);
    if (principal && !api.handleUpgrade(req, socket, head, principal)) socket.destroy();
  });
};
const listen = (server) =>
  new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const closeServer = (server) =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

let api;
api = await createBandApi({
  home: testGate.home,
  settings: testGate.settings,
  gate,
  env: {
    ...process.env,
    ...edge.env,
    ...fakeCloudflaredEnv({ stateDir: path.join(scratch, 'cfd') }),
    BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    SHELL: '/bin/sh',
    PS1: '$ ',
  },
  openTunnelListener: async () => {
    const server = createServer();
    attach(server, 'tunnel', api);
    const port = await listen(server);
    servers.push(server);
    return { url: `http://127.0.0.1:${port}`, close: () => closeServer(server) };
  },
});
// A real project and workspace (git worktree) for the terminals.
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'b@b',
};
const git = (...argv) => execFileSync('git', argv, { cwd: workspace, stdio: 'pipe', env: gitEnv });
writeFileSync(path.join(workspace, 'README.md'), '# bench\n');
git('init', '-q', '-b', 'main');
git('add', '.');
git('commit', '-q', '-m', 'init');
await api.services.projects.register({ path: workspace, name: 'bench' });
const { workspace: benchWorkspace } = await api.services.workspaces.create({
  project: 'bench',
  branch: 'bench/terminals',
  waitForSetup: true,
});
const workspaceId = benchWorkspace.id;
const local = createServer();
attach(local, 'local', api);
const localPort = await listen(local);
servers.push(local);
gate.setLocalPort(localPort);
const token = testGate.token;

const targets = [
  { name: 'local', url: `ws://127.0.0.1:${localPort}`, headers: { origin: `http://127.0.0.1:${localPort}` } },
];
// The tunnel rows are part of the bench: a tunnel that does not start fails it (never a "0 skipped" row).
{
  const status = await api.services.tunnel.start();
  const host = new URL(status.url).host;
  await edge.waitForRoute(host);
  targets.push({
    name: 'tunnel',
    url: `wss://127.0.0.1:${edge.port}`,
    headers: { host, origin: `https://${host}` },
    options: { rejectUnauthorized: false },
  });
}

function open(target, id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${target.url}/api/terminals/${id}?replay=0`, {
      headers: { ...target.headers, authorization: `Bearer ${token}` },
      perMessageDeflate: false,
      ...target.options,
    });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`${target.name}: upgrade refused with ${res.statusCode}`)),
    );
    ws.once('error', reject);
  });
}

/** Resolves when the accumulated binary output satisfies `test`, which sees only the recent tail. */
function waitForOutput(ws, test, timeoutMs = TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    let tail = '';
    let bytes = 0;
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`timed out waiting for output (tail ${JSON.stringify(tail.slice(-80))})`));
    }, timeoutMs);
    const onMessage = (data, isBinary) => {
      if (!isBinary) return;
      bytes += data.length;
      tail = (tail + data.toString('latin1')).slice(-256);
      if (test(tail)) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(bytes);
      }
    };
    ws.on('message', onMessage);
  });
}

async function keystrokeRoundTrip(target) {
  // `cat` on a raw, non-echoing TTY writes each byte back as soon as it reads it: the echo a shell's line editor
  // would produce, with the program in the loop.
  const terminal = await api.services.terminals.create({ workspaceId, command: 'stty raw -echo && exec cat' });
  const ws = await open(target, terminal.id);
  try {
    ws.send(JSON.stringify({ type: 'input', data: 'R' }));
    await waitForOutput(ws, (tail) => tail.endsWith('R'));
    const samples = [];
    const keys = 'abcdefghijklmnopqrstuvwxyz';
    for (let i = 0; i < SAMPLES + 20; i++) {
      const key = keys[i % keys.length];
      const echoed = waitForOutput(ws, (tail) => tail.endsWith(key), 10_000);
      const start = process.hrtime.bigint();
      ws.send(JSON.stringify({ type: 'input', data: key }));
      await echoed;
      if (i >= 20) samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return samples;
  } finally {
    ws.close();
    await api.services.terminals.kill(terminal.id);
  }
}

async function throughput(target) {
  const terminal = await api.services.terminals.create({ workspaceId });
  const ws = await open(target, terminal.id);
  try {
    ws.send(JSON.stringify({ type: 'input', data: 'echo rea""dy\r' }));
    await waitForOutput(ws, (tail) => tail.includes('ready'));
    const flooded = waitForOutput(ws, (tail) => tail.includes('FLOOD-DONE'));
    const start = process.hrtime.bigint();
    ws.send(JSON.stringify({ type: 'input', data: `yes | head -c ${FLOOD_MIB * 1024 * 1024}; echo FLOOD-""DONE\r` }));
    const wireBytes = await flooded;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    return { seconds, wireBytes };
  } finally {
    ws.close();
    await api.services.terminals.kill(terminal.id);
  }
}

const results = [];
try {
  for (const target of targets) {
    const samples = await keystrokeRoundTrip(target);
    const via = target.name === 'local' ? 'local listener' : 'fake edge (TLS) -> fake cloudflared -> tunnel listener';
    results.push({
      name: `terminal keystroke echo p50 (${target.name})`,
      value: round(percentile(samples, 50), 3),
      unit: 'ms',
      note: `${samples.length} keystrokes via ${via}`,
    });
    results.push({
      name: `terminal keystroke echo p99 (${target.name})`,
      value: round(percentile(samples, 99), 3),
      unit: 'ms',
      note: `${samples.length} keystrokes via ${via}`,
    });
  }
  for (const target of targets) {
    const { seconds, wireBytes } = await throughput(target);
    results.push({
      name: `terminal output throughput (${target.name})`,
      value: round(FLOOD_MIB / seconds),
      unit: 'MiB/s',
      note:
        `yes | head -c ${FLOOD_MIB}M in ${round(seconds)} s; ${round(wireBytes / 1024 / 1024)} MiB on ` +
        `the socket (the PTY turns \\n into \\r\\n)`,
    });
  }
} finally {
  await api.close();
  for (const server of servers) await closeServer(server);
  await testGate.close();
  await edge.close();
  await rm(scratch, { recursive: true, force: true });
}

for (const r of results)
  process.stdout.write(`${r.name.padEnd(44)} ${String(r.value).padStart(10)} ${r.unit.padEnd(6)} ${r.note ?? ''}\n`);
const out = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'api.json'), `${JSON.stringify({ package: '@band/api', results }, null, 2)}\n`);
