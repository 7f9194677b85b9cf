// `npm run bench` for @band/server (issue 21): Band's own cost, side by side with two baselines started from the
// same checkout in the same run:
//   trpc  Band's router and services behind tRPC's standalone adapter (no gate, no Next, no request log)
//   next  a bare Next custom server serving the same prebuilt dashboard (no gate, no API)
//   band  `node dist/main.js`, as `npm start` runs it, called with the bearer token
// Reported: requests/s and p50/p99 for `health`, a real query (`workspaces.list`) and a mutation (`chats.markSeen`)
// under the same closed-loop load (10 connections; bench/load.mjs in its own process), cold start (spawn → first
// 200 on `/`, or on `health` for tRPC) and idle RSS, each with Band's ratio to its baseline.
// Rounds alternate between the servers, and each figure is the median round, so a burst of load elsewhere on the
// machine hits both sides instead of one.
//   BAND_BENCH_QUICK=1        one short round (CI checks the bench works; the figures are not worth comparing)
//   BAND_BENCH_CPU_PROF=<dir>   run Band and bare tRPC under --cpu-prof in the throughput rounds and print their top
//                               frames (profiling slows both: compare those figures with each other, not with others)
//   BAND_BENCH_SERVER_ONLY=start|throughput   one half only (when profiling or iterating)
//   BAND_BENCH_SERVER_CALLS=health,workspaces.list   only these calls in the throughput half
//   BAND_BENCH_ROUNDS=9 BAND_BENCH_LOAD_MS=2000   more, shorter alternating rounds (a busy machine: the median
//                                                 of more rounds moves less)
//   BAND_BENCH_BEFORE=<main.js>  also run another build of Band (e.g. the previous commit's, bundled) in the same
//                                throughput rounds, reported as "Band before": before/after from one run
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveDashboardDir } from '../dist/index.js';
import { summarizeProfile } from './profile-summary.mjs';
import { createBenchRepo } from './seed-repo.mjs';

const QUICK = process.env.BAND_BENCH_QUICK === '1';
const CPU_PROF = process.env.BAND_BENCH_CPU_PROF;
const ONLY = process.env.BAND_BENCH_SERVER_ONLY;
const CALLS = process.env.BAND_BENCH_SERVER_CALLS?.split(',');
const BEFORE = process.env.BAND_BENCH_BEFORE;
const ROUNDS = Number(process.env.BAND_BENCH_ROUNDS) || (QUICK ? 1 : 3);
const LOAD_MS = Number(process.env.BAND_BENCH_LOAD_MS) || (QUICK ? 1_000 : 4_000);
const START_RUNS = QUICK ? 1 : 5;
const CONNECTIONS = 10;
const START_TIMEOUT_MS = 120_000;
const here = fileURLToPath(new URL('.', import.meta.url));
const out = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
const dashboardDir = resolveDashboardDir({ env: {} });

const targets = {
  trpc: { label: 'bare tRPC', argv: [join(here, 'targets/bare-trpc.mjs')], firstPath: '/api/trpc/health' },
  next: { label: 'bare Next', argv: [join(here, 'targets/bare-next.mjs'), dashboardDir], firstPath: '/' },
  band: {
    label: 'Band',
    argv: [fileURLToPath(new URL('../dist/main.js', import.meta.url)), '--port', '0'],
    firstPath: '/',
  },
  ...(BEFORE ? { before: { label: 'Band before', argv: [BEFORE, '--port', '0'], firstPath: '/' } } : {}),
};

/** Starts a target with a fresh BAND_HOME; resolves once the first request on its first path answered 200. */
async function start(name, { nodeArgs = [], home: existingHome } = {}) {
  const target = targets[name];
  const home = existingHome ?? mkdtempSync(join(tmpdir(), `band-bench-${name}-`));
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, ...target.argv], {
    env: { ...process.env, BAND_HOME: home, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (c) => {
    output += c;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    if (!existingHome) rmSync(home, { recursive: true, force: true });
  };
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${target.label} printed no URL within ${START_TIMEOUT_MS / 1000} s:\n${output}`)),
        START_TIMEOUT_MS,
      );
      child.stdout.on('data', (c) => {
        output += c;
        const m = output.match(/(?:running|listening) at (http:\/\/\S+:\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${target.label} exited (${code ?? signal}) before listening:\n${output}`));
      });
    });
    const headers =
      name === 'band' || name === 'before'
        ? { authorization: `Bearer ${JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')).tokenSecret}` }
        : {};
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const res = await fetch(url + target.firstPath, { headers }).catch(() => undefined);
      await res?.arrayBuffer();
      if (res?.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(
          `${target.label}: no 200 on ${target.firstPath} within ${START_TIMEOUT_MS / 1000} s ` +
            `(last ${res?.status ?? 'no answer'})`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    const startMs = performance.now() - t0;
    return { name, url, headers, home, pid: child.pid, startMs, startCpuMs: cpuMs(child.pid), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** CPU time (user + system) the process has used so far, in ms: per request, it is the server's own cost, which
 * other load on the machine slows down less than it slows throughput. */
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function rssMiB(pid) {
  const kb = Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)?.[1]);
  if (!(kb > 0)) throw new Error(`could not read the RSS of pid ${pid}`);
  return kb / 1024;
}

async function trpc(server, method, path, input) {
  const res = await fetch(`${server.url}/api/trpc/${path}`, {
    method,
    headers: { ...server.headers, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    body: method === 'POST' ? JSON.stringify(input) : undefined,
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(body).slice(0, 300)}`);
  return body.result.data;
}

/** The same small project and workspace on each API server, so `workspaces.list` and `markSeen` do real work. */
async function seed(server, repo) {
  await trpc(server, 'POST', 'projects.register', { path: repo });
  // One repository for both servers, so each takes its own branch (a branch lives in one worktree).
  const created = await trpc(server, 'POST', 'workspaces.create', {
    project: 'repo',
    branch: `bench-${server.name}`,
    waitForSetup: true,
  });
  const workspaceId = created.workspace?.id ?? created.id;
  if (!workspaceId) throw new Error(`workspaces.create gave no id: ${JSON.stringify(created).slice(0, 300)}`);
  return workspaceId;
}

function load(server, { method = 'GET', path, body }) {
  const spec = {
    url: server.url + path,
    method,
    headers: server.headers,
    body,
    connections: CONNECTIONS,
    durationMs: LOAD_MS,
  };
  const cpu0 = cpuMs(server.pid);
  const stdout = execFileSync(process.execPath, [join(here, 'load.mjs'), JSON.stringify(spec)], {
    encoding: 'utf8',
    timeout: LOAD_MS + 60_000,
  });
  const result = JSON.parse(stdout);
  result.cpuUsPerRequest = ((cpuMs(server.pid) - cpu0) * 1000) / result.total;
  if (result.errors > 0)
    throw new Error(
      `${targets[server.name].label} ${path}: ${result.errors} of ${result.requests} requests failed ` +
        `(${JSON.stringify(result.statuses)})`,
    );
  return result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = [];
const row = (name, value, unit, note) => {
  results.push({ name, value, unit, ...(note ? { note } : {}) });
  process.stdout.write(`${name.padEnd(58)} ${String(value).padStart(9)} ${unit}${note ? `  (${note})` : ''}\n`);
};

// --- cold start and idle RSS: each server started START_RUNS times, alternating. Band starts with a home that
// exists (as every start after the first does); its first launch, which creates the token, settings.json and
// band.db, is reported on its own. CPU time to the first 200 is the figure that load elsewhere moves least. ---
const starts = { trpc: [], next: [], band: [] };
const startCpu = { trpc: [], next: [], band: [] };
const rss = { trpc: [], next: [], band: [] };
const firstLaunch = [];
const bandHome = mkdtempSync(join(tmpdir(), 'band-bench-home-'));
for (let i = 0; i < (ONLY === 'throughput' ? 0 : START_RUNS); i++) {
  const first = await start('band');
  firstLaunch.push(first.startMs);
  await first.stop();
  if (i === 0) await (await start('band', { home: bandHome })).stop();
  for (const name of ['trpc', 'next', 'band']) {
    const server = await start(name, name === 'band' ? { home: bandHome } : {});
    try {
      starts[name].push(server.startMs);
      startCpu[name].push(server.startCpuMs);
      await new Promise((r) => setTimeout(r, 2_000));
      rss[name].push(rssMiB(server.pid));
    } finally {
      await server.stop();
    }
  }
}
rmSync(bandHome, { recursive: true, force: true });
for (const name of ONLY === 'throughput' ? [] : ['trpc', 'next', 'band']) {
  row(`cold start: ${targets[name].label}`, Math.round(median(starts[name])), 'ms', `median of ${START_RUNS}`);
  row(
    `cold start CPU: ${targets[name].label}`,
    Math.round(median(startCpu[name])),
    'ms',
    'user + system time to the first 200',
  );
  row(
    `idle RSS: ${targets[name].label}`,
    Number(median(rss[name]).toFixed(1)),
    'MiB',
    `median of ${START_RUNS}, 2 s after the first answer${name === 'band' ? '; goal ≤ 120' : ''}`,
  );
}
if (ONLY !== 'throughput') {
  row(
    'cold start: Band, first launch',
    Math.round(median(firstLaunch)),
    'ms',
    'a new BAND_HOME: token, settings.json, band.db',
  );
  row(
    'cold start: Band / bare Next',
    Number((median(starts.band) / median(starts.next)).toFixed(2)),
    'x',
    'goal ≤ 1.2',
  );
  row('cold start CPU: Band / bare Next', Number((median(startCpu.band) / median(startCpu.next)).toFixed(2)), 'x');
}

// --- throughput: the API calls on tRPC and Band, the dashboard page on Next and Band ---
if (ONLY === 'start') {
  writeResults();
  process.exit(0);
}
const repo = createBenchRepo('band-bench-repo-');

const profiled = (name) => {
  if (!CPU_PROF) return {};
  mkdirSync(join(CPU_PROF, name), { recursive: true });
  return { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', join(CPU_PROF, name)] };
};
const servers = {
  trpc: await start('trpc', profiled('trpc')),
  next: await start('next'),
  band: await start('band', profiled('band')),
  ...(BEFORE ? { before: await start('before', profiled('before')) } : {}),
};
try {
  const ids = {
    trpc: await seed(servers.trpc, repo.path),
    band: await seed(servers.band, repo.path),
    ...(BEFORE ? { before: await seed(servers.before, repo.path) } : {}),
  };
  const calls = [
    { label: 'health', compare: 'trpc', call: () => ({ path: '/api/trpc/health' }) },
    { label: 'workspaces.list', compare: 'trpc', call: () => ({ path: '/api/trpc/workspaces.list' }) },
    {
      label: 'chats.markSeen (mutation)',
      compare: 'trpc',
      call: (name) => ({
        method: 'POST',
        path: '/api/trpc/chats.markSeen',
        body: JSON.stringify({ workspaceId: ids[name] }),
      }),
    },
    { label: 'GET / (dashboard page)', compare: 'next', call: () => ({ path: '/' }) },
  ];
  for (const { label, compare, call } of calls.filter(
    (c) => !CALLS || CALLS.some((name) => c.label.startsWith(name)),
  )) {
    const names = [compare, 'band', ...(BEFORE ? ['before'] : [])];
    const runs = Object.fromEntries(names.map((name) => [name, []]));
    for (let i = 0; i < ROUNDS; i++) {
      for (const name of names) runs[name].push(load(servers[name], call(name)));
    }
    const base = targets[compare].label;
    const rps = (name) => median(runs[name].map((r) => r.rps));
    const p = (name, key) => median(runs[name].map((r) => r[key]));
    row(
      `${label}: ${base} req/s`,
      Math.round(rps(compare)),
      'req/s',
      `p50 ${p(compare, 'p50Ms').toFixed(2)} ms, p99 ${p(compare, 'p99Ms').toFixed(2)} ms`,
    );
    row(
      `${label}: Band req/s`,
      Math.round(rps('band')),
      'req/s',
      `p50 ${p('band', 'p50Ms').toFixed(2)} ms, p99 ${p('band', 'p99Ms').toFixed(2)} ms`,
    );
    row(
      `${label}: Band / ${base} throughput`,
      Number((rps('band') / rps(compare)).toFixed(2)),
      'x',
      compare === 'trpc' ? 'goal ≥ 0.8' : undefined,
    );
    row(`${label}: ${base} CPU per request`, Math.round(p(compare, 'cpuUsPerRequest')), 'µs');
    row(`${label}: Band CPU per request`, Math.round(p('band', 'cpuUsPerRequest')), 'µs');
    // When the server is the bottleneck, throughput is the inverse of CPU per request; this ratio moves far less
    // than req/s when other work shares the machine.
    row(
      `${label}: Band / ${base} CPU-bound throughput`,
      Number((p(compare, 'cpuUsPerRequest') / p('band', 'cpuUsPerRequest')).toFixed(2)),
      'x',
      'bare CPU per request / Band CPU per request',
    );
    row(`${label}: Band p50 latency`, Number(p('band', 'p50Ms').toFixed(2)), 'ms');
    row(`${label}: Band p99 latency`, Number(p('band', 'p99Ms').toFixed(2)), 'ms');
    if (BEFORE) {
      row(
        `${label}: Band before / ${base} throughput`,
        Number((rps('before') / rps(compare)).toFixed(2)),
        'x',
        `${Math.round(rps('before'))} req/s, p50 ${p('before', 'p50Ms').toFixed(2)} ms`,
      );
      row(
        `${label}: Band before / ${base} CPU-bound throughput`,
        Number((p(compare, 'cpuUsPerRequest') / p('before', 'cpuUsPerRequest')).toFixed(2)),
        'x',
        `${Math.round(p('before', 'cpuUsPerRequest'))} µs per request`,
      );
    }
  }
} finally {
  for (const server of Object.values(servers)) await server.stop();
  repo.remove();
}
for (const name of CPU_PROF ? ['trpc', 'band', ...(BEFORE ? ['before'] : [])] : []) {
  const dir = join(CPU_PROF, name);
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  if (!file) throw new Error(`--cpu-prof wrote no profile in ${dir}`);
  process.stdout.write(
    `\n${targets[name].label}: CPU profile ${join(dir, file)}, top frames by self time:\n` +
      `${summarizeProfile(join(dir, file), 25)}\n`,
  );
}

writeResults();

function writeResults() {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'server.json'), `${JSON.stringify({ package: '@band/server', results }, null, 2)}\n`);
}
