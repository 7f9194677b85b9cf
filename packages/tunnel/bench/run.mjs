// npm run bench: @band/tunnel vs untun vs the npm `cloudflared` package, on the same fake cloudflared.
// Prints a table and writes bench-results/tunnel.json at the repo root. Needs `npm run build` first.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const LIBS = ['band', 'untun', 'cloudflared'];
const NAMES = { band: '@band/tunnel', untun: 'untun 0.2.2', cloudflared: 'cloudflared (npm) 0.7.3' };
const ITERATIONS = Number(process.env.BENCH_ITERATIONS) || 5;
const runner = new URL('./runner.mjs', import.meta.url).pathname;

function run(lib, job, arg, scenario = 'ok', extraEnv = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'band-tunnel-bench-'));
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TUNNEL_') && !k.startsWith('FAKE_CFD_'))),
    TMPDIR: tmp,
    FAKE_CFD_SCENARIO: scenario,
    FAKE_CFD_STATE_DIR: join(tmp, 'fake'),
    CLOUDFLARED_VERSION: 'band-fake',
    UNTUN_ACCEPT_CLOUDFLARE_NOTICE: '1',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, lib, job, String(arg ?? '')], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.resume();
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', () => {
      clearTimeout(killer);
      reapFakes(join(tmp, 'fake'));
      rmSync(tmp, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      resolve(line ? JSON.parse(line.slice(7)) : { error: 'no result' });
    });
  });
}

/**
 * A library that fails a scenario (ignore-sigterm, parent SIGKILL) leaves its fake cloudflared running. The fake
 * records itself in its state dir (`<pid>.json`), so the bench can end exactly the processes it caused.
 */
function reapFakes(dir) {
  let files = [];
  try {
    files = readdirSync(dir);
  } catch {
    return;
  }
  for (const file of files) {
    const pid = Number(file.replace(/\.json$/, ''));
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      // A pid may have been reused: kill only a process that carries this run's state dir (its marker).
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!environ.includes(`FAKE_CFD_STATE_DIR=${dir}`)) continue;
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone (or no /proc: nothing to check it against, so leave it)
    }
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : Number.NaN;
};
const has = (r, type) => (r.events ?? []).some((e) => e.type === type);
const first = (r, type) => (r.events ?? []).find((e) => e.type === type);
const urls = (r) => (r.events ?? []).filter((e) => e.type === 'url').map((e) => e.value);
const falseUrl = (r) => urls(r).some((u) => !r.actualUrls.includes(u));
const failedCleanly = (r) => (has(r, 'failed') || has(r, 'exit')) && !has(r, 'ready') && urls(r).length === 0;

/** Each scenario of the fake and what a correct supervisor does with it. */
const SCENARIOS = [
  ['ok', 'reports the real URL once an edge connection is up', (r) => has(r, 'ready') && urls(r).length > 0 && !falseUrl(r)],
  ['rate-limit', 'surfaces the failure, no URL', failedCleanly],
  ['api-5xx-html', 'surfaces the failure, no URL', failedCleanly],
  ['api-json-error', 'surfaces the failure, no URL', failedCleanly],
  ['offline', 'surfaces the failure, never reports api.trycloudflare.com', failedCleanly],
  ['edge-unreachable', 'never claims ready, gives up with an error in time', (r) => !has(r, 'ready') && has(r, 'failed'), 10_000],
  ['quic-blocked', 'falls back to http2 and is ready only once connected', (r) => has(r, 'ready') && !falseUrl(r) && r.registeredAt.length > 0 && first(r, 'ready').at >= Math.min(...r.registeredAt), 10_000],
  ['slow-register=1500', 'claims ready only after the edge registration', (r) => has(r, 'ready') && r.registeredAt.length > 0 && first(r, 'ready').at >= Math.min(...r.registeredAt)],
  ['drop-after=2000,6000', 'reports the drop and the recovery, keeps the URL', (r) => has(r, 'degraded') && has(r, 'recovered') && new Set(urls(r)).size === 1, 9_000],
  ['crash-after=800', 'restarts and publishes the new URL', (r) => new Set(urls(r)).size >= 2 && !falseUrl(r), 15_000],
  ['exit-after=800:1', 'restarts and publishes the new URL', (r) => new Set(urls(r)).size >= 2 && !falseUrl(r), 15_000],
  ['autoupdate-after=800', 'restarts after exit 11', (r) => new Set(urls(r)).size >= 2 && !falseUrl(r), 10_000],
  ['metrics-port-busy', 'never reports a dead URL as ready; surfaces the failure', (r) => !has(r, 'ready') && (has(r, 'failed') || has(r, 'exit'))],
  ['ignore-sigterm', 'stop() ends the process anyway, bounded', (r) => r.aliveAfterStop.length === 0 && r.stopMs < 15_000],
  ['legacy=2022', 'works with 2022 output', (r) => has(r, 'ready') && !falseUrl(r)],
  ['legacy=2026.5', 'works with the 2026.5 pre-check box', (r) => has(r, 'ready') && !falseUrl(r)],
];

const results = [];
const table = [];

// --- timing --- (libraries interleaved, one fresh process per sample, so load swings hit all alike)
const samples = Object.fromEntries(LIBS.map((l) => [l, { start: [], stop: [] }]));
for (let i = 0; i < ITERATIONS; i++) {
  for (const lib of LIBS) {
    const r = await run(lib, 'timing', 1);
    if (r.error) continue;
    samples[lib].start.push(...r.start);
    samples[lib].stop.push(...r.stop);
  }
}
for (const lib of LIBS) {
  const { start: starts, stop: stops } = samples[lib];
  if (!starts.length) {
    table.push([NAMES[lib], 'error', '', '']);
    continue;
  }
  const start = median(starts);
  const stop = median(stops);
  const readyMeaning = { band: '/ready 200 (edge connection)', untun: 'URL printed (not yet routable)', cloudflared: 'first "Registered" log line' }[lib];
  results.push({ name: `start-to-ready ${NAMES[lib]}`, value: Math.round(start), unit: 'ms', note: `median of ${starts.length}; ready = ${readyMeaning}` });
  results.push({ name: `stop-to-exit ${NAMES[lib]}`, value: Math.round(stop), unit: 'ms', note: `median of ${stops.length}` });
  table.push([NAMES[lib], `${Math.round(start)} ms`, `${Math.round(stop)} ms`, readyMeaning]);
}

// --- scenarios ---
const scores = Object.fromEntries(LIBS.map((l) => [l, []]));
for (const [scenario, meaning, check, budgetMs = 6_000] of SCENARIOS) {
  for (const lib of LIBS) {
    const r = await run(lib, 'scenario', budgetMs, scenario, { FAKE_CFD_TIME_SCALE: '0.25' });
    let ok = false;
    try {
      ok = !r.error && Boolean(check(r));
    } catch {
      ok = false;
    }
    scores[lib].push({ scenario, ok, meaning });
  }
}

// --- orphan after SIGKILL of the parent ---
for (const lib of LIBS) {
  const tmp = mkdtempSync(join(tmpdir(), 'band-tunnel-orphan-'));
  const r = await new Promise((resolve) => {
    const env = { ...process.env, TMPDIR: tmp, FAKE_CFD_SCENARIO: 'ok', FAKE_CFD_STATE_DIR: join(tmp, 'fake'), CLOUDFLARED_VERSION: 'band-fake' };
    const child = spawn(process.execPath, [runner, lib, 'orphan'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const line = out.split('\n').find((l) => l.startsWith('RESULT '));
      if (line) {
        child.kill('SIGKILL');
        resolve(JSON.parse(line.slice(7)));
      }
    });
    setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ pids: [] });
    }, 20_000);
  });
  // Give a guardian the chance to act, then look.
  await new Promise((res) => setTimeout(res, 3_000));
  const survivors = (r.pids ?? []).filter((pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  });
  for (const pid of survivors) process.kill(pid, 'SIGKILL');
  reapFakes(join(tmp, 'fake'));
  rmSync(tmp, { recursive: true, force: true });
  scores[lib].push({ scenario: 'parent SIGKILL', ok: (r.pids ?? []).length > 0 && survivors.length === 0, meaning: 'cloudflared dies with its parent' });
}

const total = scores.band.length;
for (const lib of LIBS) {
  const n = scores[lib].filter((s) => s.ok).length;
  results.push({
    name: `fake scenarios handled ${NAMES[lib]}`,
    value: n,
    unit: 'scenarios',
    note: `of ${total}; failing: ${scores[lib].filter((s) => !s.ok).map((s) => s.scenario).join(', ') || 'none'}`,
  });
}

// --- print ---
const pad = (s, n) => String(s).padEnd(n);
process.stdout.write('\nstart() to ready and stop() to exit (same fake cloudflared, scenario ok)\n');
process.stdout.write(`${pad('library', 26)}${pad('start->ready', 14)}${pad('stop->exit', 12)}ready means\n`);
for (const row of table) process.stdout.write(`${pad(row[0], 26)}${pad(row[1], 14)}${pad(row[2], 12)}${row[3]}\n`);
process.stdout.write(`\nfake scenarios handled correctly\n${pad('scenario', 24)}${LIBS.map((l) => pad(NAMES[l], 26)).join('')}\n`);
for (let i = 0; i < total; i++) {
  process.stdout.write(`${pad(scores.band[i].scenario, 24)}${LIBS.map((l) => pad(scores[l][i].ok ? 'yes' : 'no', 26)).join('')}\n`);
}
process.stdout.write(`${pad('total', 24)}${LIBS.map((l) => pad(`${scores[l].filter((s) => s.ok).length}/${total}`, 26)).join('')}\n`);

const outDir = new URL('../../../bench-results/', import.meta.url);
mkdirSync(outDir, { recursive: true });
writeFileSync(new URL('tunnel.json', outDir), `${JSON.stringify({ package: '@band/tunnel', results }, null, 2)}\n`);
process.stdout.write(`\nwrote ${new URL('tunnel.json', outDir).pathname}\n`);
