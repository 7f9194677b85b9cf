// Promises a server creates per API call (issue 21): with Next in the process, Node 20 runs `AsyncLocalStorage`
// hooks on every promise, so this count is the part of Band's cost that no other load on the machine moves.
//   node bench/count-promises.mjs [requests per call, default 500]   (needs the build, like run.mjs)
//   BAND_BENCH_BEFORE=<main.js>   also count another build of Band (as in run.mjs)
// Starts Band (`dist/main.js`, after one dashboard page so Next's storages are on, as in real use) and bare tRPC
// (bench/targets/bare-trpc.mjs) with an `async_hooks` init hook counting PROMISE resources, sends each call
// sequentially on one keep-alive connection, and prints promises per request for each.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchRepo } from './seed-repo.mjs';

const N = Number(process.argv[2]) || 500;
const here = fileURLToPath(new URL('.', import.meta.url));
const preload = join(here, 'promise-hook.mjs');

function send(server, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(body);
    const req = request(
      `${server.url}${path}`,
      {
        method,
        agent: server.agent,
        headers: {
          ...server.headers,
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function start(name, argv) {
  const home = mkdtempSync(join(tmpdir(), `band-promises-${name}-`));
  const child = spawn(process.execPath, ['--import', preload, ...argv], {
    env: { ...process.env, BAND_HOME: home, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const counts = [];
  child.stderr.on('data', (c) => {
    stderr += c;
    for (const m of stderr.matchAll(/^promises (\d+)$/gm)) counts.push(Number(m[1]));
    stderr = stderr.slice(stderr.lastIndexOf('\n') + 1);
  });
  const url = await new Promise((resolve, reject) => {
    child.stdout.on('data', (c) => {
      stdout += c;
      const m = stdout.match(/(?:running|listening) at (http:\/\/\S+:\d+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited (${code}):\n${stdout}${stderr}`)));
  });
  const token = name !== 'trpc' ? JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')).tokenSecret : '';
  return {
    name,
    url,
    home,
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    headers: token ? { authorization: `Bearer ${token}` } : {},
    /** The server's count so far (it prints it on SIGUSR2). */
    async count() {
      const before = counts.length;
      child.kill('SIGUSR2');
      while (counts.length === before) await new Promise((r) => setTimeout(r, 5));
      return counts.at(-1);
    },
    async stop() {
      this.agent.destroy();
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(home, { recursive: true, force: true });
    },
  };
}

async function trpc(server, method, path, input) {
  const res = await send(server, method, `/api/trpc/${path}`, method === 'POST' ? JSON.stringify(input) : undefined);
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${res.body.slice(0, 300)}`);
  return JSON.parse(res.body).result.data;
}

const repo = createBenchRepo('band-promises-repo-');

const BEFORE = process.env.BAND_BENCH_BEFORE;
const servers = [
  await start('trpc', [join(here, 'targets/bare-trpc.mjs')]),
  await start('band', [fileURLToPath(new URL('../dist/main.js', import.meta.url)), '--port', '0']),
  ...(BEFORE ? [await start('before', [BEFORE, '--port', '0'])] : []),
];
const table = {};
try {
  for (const server of servers) {
    if (server.name !== 'trpc') {
      const page = await send(server, 'GET', '/');
      if (page.status !== 200) throw new Error(`GET / answered ${page.status}`);
    }
    await trpc(server, 'POST', 'projects.register', { path: repo.path });
    const created = await trpc(server, 'POST', 'workspaces.create', {
      project: 'repo',
      branch: `count-${server.name}`,
      waitForSetup: true,
    });
    const workspaceId = created.workspace?.id ?? created.id;
    const calls = {
      health: ['GET', '/api/trpc/health'],
      'workspaces.list': ['GET', '/api/trpc/workspaces.list'],
      'chats.markSeen': ['POST', '/api/trpc/chats.markSeen', JSON.stringify({ workspaceId })],
    };
    for (const [label, [method, path, body]] of Object.entries(calls)) {
      for (let i = 0; i < 100; i++) await send(server, method, path, body);
      const before = await server.count();
      for (let i = 0; i < N; i++) {
        const res = await send(server, method, path, body);
        if (res.status !== 200) throw new Error(`${label} answered ${res.status}: ${res.body.slice(0, 300)}`);
      }
      const after = await server.count();
      (table[label] ??= {})[server.name] = Math.round((after - before) / N);
    }
  }
} finally {
  for (const server of servers) await server.stop();
  repo.remove();
}
process.stdout.write(`promises per request (${N} sequential requests each)\n`);
for (const [label, row] of Object.entries(table)) {
  const before = row.before === undefined ? '' : `   Band before ${String(row.before).padStart(4)}`;
  process.stdout.write(
    `${label.padEnd(18)} bare tRPC ${String(row.trpc).padStart(4)}   Band ${String(row.band).padStart(4)}${before}\n`,
  );
}
