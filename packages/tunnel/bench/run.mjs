// npm run bench: @band/tunnel vs untun vs the npm `cloudflared` package, on the same fake cloudflared:
//   start/stop timing; time to a routable tunnel with QUIC blocked at real timings (profiles 2023.7.3 and
//   2025.8.1); the fake's scenarios; each library's verdict on every recorded transcript of the real
//   cloudflared 2023.7.3 (replayed); cloudflared's fate when the parent is SIGKILLed.
// "Ready" counts only when the fake had an edge connection registered by then (routable), for every library.
// The comparison libraries live in bench/compare with their own install (never on Band's PATH).
// BAND_BENCH_QUICK=1 (npm run bench -- --quick): a short run that checks every section still works.
// Prints tables and writes bench-results/tunnel.json at the repo root. Needs `npm run build` first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transcriptCases } from '../test/fixtures/transcript-cases.mjs';
import { fakeTunnelToken } from '../dist/testing/index.js';

const QUICK = process.env.BAND_BENCH_QUICK === '1';
const NAMES = { band: '@band/tunnel', untun: 'untun 0.2.2', cloudflared: 'cloudflared (npm) 0.7.3' };
const ITERATIONS = Number(process.env.BENCH_ITERATIONS) || (QUICK ? 1 : 5);
const runner = new URL('./runner.mjs', import.meta.url).pathname;

// --- the comparison libraries, installed into bench/compare (scripts off: the npm cloudflared would download) ---
const compareDir = fileURLToPath(new URL('./compare/', import.meta.url));
const loadFailures = {};
if (
  !existsSync(join(compareDir, 'node_modules', 'untun')) ||
  !existsSync(join(compareDir, 'node_modules', 'cloudflared'))
) {
  process.stderr.write('bench: installing the comparison libraries into bench/compare…\n');
  const install = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
    cwd: compareDir,
    encoding: 'utf8',
    timeout: 180_000,
  });
  if (install.status !== 0) {
    const why =
      `npm ci in bench/compare ` +
      `failed: ${(install.stderr || install.error?.message || '').trim().split('\n').at(-1)}`;
    loadFailures.untun = why;
    loadFailures.cloudflared = why;
  }
}
const LIBS = ['band', ...['untun', 'cloudflared'].filter((l) => !loadFailures[l])];

function run(lib, job, arg, scenario = 'ok', extraEnv = {}) {
  const tmp = mkdtempSync(join(tmpdir(), 'band-tunnel-bench-'));
  const env = {
    ...Object.fromEntries(
      Object.entries(process.env).filter(([k]) => !k.startsWith('TUNNEL_') && !k.startsWith('FAKE_CFD_')),
    ),
    TMPDIR: tmp,
    FAKE_CFD_SCENARIO: scenario,
    FAKE_CFD_STATE_DIR: join(tmp, 'fake'),
    CLOUDFLARED_VERSION: 'band-fake',
    UNTUN_ACCEPT_CLOUDFLARE_NOTICE: '1',
    // The fake's hostnames exist only at the fake edge: no DNS wait.
    BAND_TUNNEL_DNS_WAIT_MS: '0',
    ...extraEnv,
  };
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [runner, lib, job, String(arg ?? '')], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderrTail = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderrTail = (stderrTail + c).slice(-2_000)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', () => {
      clearTimeout(killer);
      reapFakes(join(tmp, 'fake'));
      rmSync(tmp, { recursive: true, force: true });
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      resolve(
        line ? JSON.parse(line.slice(7)) : { error: `no result (${stderrTail.trim().split('\n').at(-1) ?? ''})` },
      );
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
/** Ready and routable: the fake had registered an edge connection when the library said ready. */
const routable = (r) =>
  has(r, 'ready') && r.registeredAt.length > 0 && first(r, 'ready').at >= Math.min(...r.registeredAt);

/** Each scenario of the fake and what a correct supervisor does with it. */
const SCENARIOS = [
  [
    'ok',
    'reports the real URL once an edge connection is up',
    (r) => routable(r) && urls(r).length > 0 && !falseUrl(r),
  ],
  ['rate-limit', 'surfaces the failure, no URL', failedCleanly],
  ['api-5xx-html', 'surfaces the failure, no URL', failedCleanly],
  ['api-json-error', 'surfaces the failure, no URL', failedCleanly],
  ['offline', 'surfaces the failure, never reports api.trycloudflare.com', failedCleanly],
  [
    'edge-unreachable',
    'never claims ready, gives up with an error in time',
    (r) => !has(r, 'ready') && has(r, 'failed'),
    10_000,
  ],
  [
    'quic-blocked',
    'falls back to http2 and is ready only once connected',
    (r) =>
      has(r, 'ready') &&
      !falseUrl(r) &&
      r.registeredAt.length > 0 &&
      first(r, 'ready').at >= Math.min(...r.registeredAt),
    10_000,
  ],
  [
    'slow-register=1500',
    'claims ready only after the edge registration',
    (r) => has(r, 'ready') && r.registeredAt.length > 0 && first(r, 'ready').at >= Math.min(...r.registeredAt),
  ],
  [
    'drop-after=2000,6000',
    'reports the drop and the recovery, keeps the URL',
    (r) => has(r, 'degraded') && has(r, 'recovered') && new Set(urls(r)).size === 1,
    9_000,
  ],
  ['crash-after=800', 'restarts and publishes the new URL', (r) => new Set(urls(r)).size >= 2 && !falseUrl(r), 15_000],
  ['exit-after=800:1', 'restarts and publishes the new URL', (r) => new Set(urls(r)).size >= 2 && !falseUrl(r), 15_000],
  ['autoupdate-after=800', 'restarts after exit 11', (r) => new Set(urls(r)).size >= 2 && !falseUrl(r), 10_000],
  [
    'metrics-port-busy',
    'never reports a dead URL as ready; surfaces the failure',
    (r) => !has(r, 'ready') && (has(r, 'failed') || has(r, 'exit')),
  ],
  [
    'ignore-sigterm',
    'stop() ends the process anyway, bounded',
    (r) => r.aliveAfterStop.length === 0 && r.stopMs < 15_000,
  ],
  ['legacy=2022', 'works with 2022 output', (r) => routable(r) && !falseUrl(r)],
  ['legacy=2026.5', 'works with the 2026.5 pre-check box', (r) => routable(r) && !falseUrl(r)],
].filter(([name]) => !QUICK || ['ok', 'rate-limit', 'quic-blocked', 'ignore-sigterm'].includes(name));

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
  const readyMeaning = {
    band: '/ready 200 (edge connection)',
    untun: 'URL printed (not yet routable)',
    cloudflared: 'first "Registered" log line',
  }[lib];
  results.push({
    name: `start-to-ready ${NAMES[lib]}`,
    value: Math.round(start),
    unit: 'ms',
    note: `median of ${starts.length}; ready = ${readyMeaning}`,
  });
  results.push({
    name: `stop-to-exit ${NAMES[lib]}`,
    value: Math.round(stop),
    unit: 'ms',
    note: `median of ${stops.length}`,
  });
  table.push([NAMES[lib], `${Math.round(start)} ms`, `${Math.round(stop)} ms`, readyMeaning]);
}

// --- QUIC (UDP/7844) blocked, real timings: time until the tunnel is routable ---
const PROFILES = QUICK ? ['2023.7.3'] : ['2023.7.3', '2025.8.1'];
const QUIC_BUDGET_MS = QUICK ? 8_000 : 30_000;
const quicRows = [];
for (const profile of PROFILES) {
  for (const lib of LIBS) {
    const r = await run(lib, 'until', QUIC_BUDGET_MS, 'quic-blocked', {
      FAKE_CFD_VERSION: profile,
      FAKE_CFD_TIME_SCALE: QUICK ? '0.2' : '1',
    });
    if (r.error) throw new Error(`quic-blocked ${profile} ${NAMES[lib]}: the runner failed: ${r.error}`);
    const claimed = r.readyMs !== undefined;
    const isRoutable = claimed && r.registeredAt.some((at) => at <= r.readyMs + 50);
    const verdict = isRoutable
      ? `${(r.readyMs / 1000).toFixed(1)} s`
      : claimed
        ? `claims ready at ${(r.readyMs / 1000).toFixed(1)} s, not routable`
        : has(r, 'failed') || has(r, 'exit')
          ? `gave up: ${(r.events.find((e) => e.type === 'failed' || e.type === 'exit')?.value ?? '').slice(0, 50)}`
          : `not routable within ${QUIC_BUDGET_MS / 1000} s`;
    quicRows.push([profile, NAMES[lib], verdict]);
    results.push({
      name: `quic-blocked routable ${profile} ${NAMES[lib]}`,
      value: isRoutable ? 1 : 0,
      unit: 'yes=1',
      note: verdict,
    });
    if (isRoutable)
      results.push({
        name: `quic-blocked time-to-ready ${profile} ${NAMES[lib]}`,
        value: Math.round(r.readyMs),
        unit: 'ms',
        note: QUICK ? 'quick mode: timings x0.2' : 'real timings; goal < 15 s',
      });
  }
}

// --- every recorded transcript of the real cloudflared 2023.7.3, replayed: each library's verdict ---
const REPLAY_SCALE = 0.1;
const replayCases = transcriptCases.filter(
  (c) =>
    !c.stop &&
    (!QUICK ||
      ['sup-v2-quick-edge-blocked-quic.txt', 'sup-v3-quick-429.txt', 'sup-v5b-named-offline-nodns.txt'].includes(
        c.file,
      )),
);
function verdictOf(lib, r) {
  if (r.error) return `runner failed: ${r.error}`;
  const failed = r.events.find((e) => e.type === 'failed');
  if (lib === 'band') {
    if (failed) return failed.value.split(':')[0];
    if (has(r, 'ready'))
      return routable(r)
        ? `ready (${r.events.find((e) => e.type === 'protocol')?.value ?? 'quic'})`
        : 'ready, NOT routable';
    return r.timedOut ? 'no verdict in time' : 'stopped';
  }
  if (has(r, 'ready')) return routable(r) ? 'ready' : 'claims ready, not routable';
  if (failed) return `error: ${failed.value.replace(/\s+/g, ' ').slice(0, 26)}…`;
  const exit = r.events.find((e) => e.type === 'exit');
  if (exit) return `cloudflared exited ${exit.value.split(' ')[0]}, no error`;
  return `nothing in ${(REPLAY_BUDGET_MS / 1000).toFixed(0)} s (hangs)`;
}
const REPLAY_BUDGET_MS = 20_000;
async function pool(items, size, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: size }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}
const replayJobs = replayCases.flatMap((c) => LIBS.map((lib) => ({ c, lib })));
// Verdicts, not timings: three at a time.
const replayVerdicts = await pool(replayJobs, 3, async ({ c, lib }) => {
  const named = c.options?.mode === 'named';
  if (named && lib !== 'band') return 'n/a (quick tunnels only)';
  const dir = mkdtempSync(join(tmpdir(), 'band-tunnel-bench-token-'));
  // Verdicts, not timings: a generous ready timeout so a busy machine does not turn into READY_TIMEOUT.
  const options = { ...c.options, readyTimeoutMs: 15_000, readyPollMs: 40 };
  if (options.token === 'TOKEN') options.token = fakeTunnelToken();
  if (options.tokenFile === 'TOKEN_FILE') {
    options.tokenFile = join(dir, 'token');
    writeFileSync(options.tokenFile, fakeTunnelToken());
  }
  const r = await run(lib, 'until', REPLAY_BUDGET_MS, c.live ?? 'ok', {
    FAKE_CFD_REPLAY: fileURLToPath(new URL(`../test/fixtures/cloudflared-2023.7.3/${c.file}`, import.meta.url)),
    FAKE_CFD_TIME_SCALE: String(REPLAY_SCALE),
    FAKE_CFD_REPLAY_MATCH: lib === 'band' ? 'strict' : 'loose',
    BENCH_TUNNEL_OPTIONS: JSON.stringify(options),
  });
  rmSync(dir, { recursive: true, force: true });
  return verdictOf(lib, r);
});
const replayRows = replayCases.map((c) => ({
  c,
  verdicts: Object.fromEntries(
    LIBS.map((lib) => [lib, replayVerdicts[replayJobs.findIndex((j) => j.c === c && j.lib === lib)]]),
  ),
}));
const rightVerdicts = replayRows.filter(
  ({ c, verdicts }) =>
    verdicts.band === c.expect ||
    verdicts.band.startsWith(`${c.expect} (`) ||
    (c.expect === 'ready' && verdicts.band === `ready (${c.protocol ?? 'quic'})`),
).length;
const rightBefore = replayCases.filter((c) => c.before === c.expect).length;
results.push({
  name: 'replayed transcripts, right verdict @band/tunnel',
  value: rightVerdicts,
  unit: 'transcripts',
  note: `of ${replayCases.length}; before this change (5586edc): ${rightBefore}`,
});

// --- scenarios ---
const scores = Object.fromEntries(LIBS.map((l) => [l, []]));
for (const [scenario, meaning, check, fullBudgetMs = 6_000] of SCENARIOS) {
  const budgetMs = QUICK ? Math.min(fullBudgetMs, 3_000) : fullBudgetMs;
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
    const env = {
      ...process.env,
      TMPDIR: tmp,
      FAKE_CFD_SCENARIO: 'ok',
      FAKE_CFD_STATE_DIR: join(tmp, 'fake'),
      CLOUDFLARED_VERSION: 'band-fake',
    };
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
  scores[lib].push({
    scenario: 'parent SIGKILL',
    ok: (r.pids ?? []).length > 0 && survivors.length === 0,
    meaning: 'cloudflared dies with its parent',
  });
}

const total = scores.band.length;
for (const lib of LIBS) {
  const n = scores[lib].filter((s) => s.ok).length;
  results.push({
    name: `fake scenarios handled ${NAMES[lib]}`,
    value: n,
    unit: 'scenarios',
    note: `of ${total}; failing: ${
      scores[lib]
        .filter((s) => !s.ok)
        .map((s) => s.scenario)
        .join(', ') || 'none'
    }`,
  });
}

// --- print ---
const pad = (s, n) => String(s).padEnd(n);
process.stdout.write('\nstart() to ready and stop() to exit (same fake cloudflared, scenario ok)\n');
process.stdout.write(`${pad('library', 26)}${pad('start->ready', 14)}${pad('stop->exit', 12)}ready means\n`);
for (const row of table) process.stdout.write(`${pad(row[0], 26)}${pad(row[1], 14)}${pad(row[2], 12)}${row[3]}\n`);
process.stdout.write(
  `\nfake scenarios handled correctly\n${pad('scenario', 24)}${LIBS.map((l) => pad(NAMES[l], 26)).join('')}\n`,
);
for (let i = 0; i < total; i++) {
  process.stdout.write(
    `${pad(scores.band[i].scenario, 24)}${LIBS.map((l) => pad(scores[l][i].ok ? 'yes' : 'no', 26)).join('')}\n`,
  );
}
process.stdout.write(
  `${pad('total', 24)}${LIBS.map((l) => pad(`${scores[l].filter((s) => s.ok).length}/${total}`, 26)).join('')}\n`,
);
for (const [lib, why] of Object.entries(loadFailures))
  process.stdout.write(`${NAMES[lib]}: FAILED TO LOAD (${why}); not scored\n`);

process.stdout.write(
  `\nQUIC blocked (UDP/7844), ${QUICK ? 'timings x0.2' : 'real timings'}: ` +
    `time until the tunnel is routable\n${pad('profile', 12)}${pad('library', 26)}result\n`,
);
for (const [profile, name, verdict] of quicRows)
  process.stdout.write(`${pad(profile, 12)}${pad(name, 26)}${verdict}\n`);

process.stdout.write(`\nthe real cloudflared 2023.7.3, replayed (x${REPLAY_SCALE} time): each library's verdict\n`);
process.stdout.write(
  `${pad('transcript', 40)}${pad('right verdict', 20)}${pad('band before', 20)}` +
    `${LIBS.map((l) => pad(NAMES[l], 34)).join('')}\n`,
);
for (const { c, verdicts } of replayRows) {
  const right = c.expect === 'ready' ? `ready (${c.protocol ?? 'quic'})` : c.expect;
  const name = `${c.file.replace(/\.txt$/, '')}${c.options?.extraArgs?.includes('--output') ? ' (forced)' : ''}`;
  process.stdout.write(
    `${pad(name, 40)}${pad(right, 20)}${pad(c.before ?? '?', 20)}${LIBS.map((l) => pad(verdicts[l], 34)).join('')}\n`,
  );
}
process.stdout.write(
  `@band/tunnel: ${rightVerdicts}/${replayCases.length} right (before: ${rightBefore}/${replayCases.length})\n`,
);

const outDir = new URL('../../../bench-results/', import.meta.url);
mkdirSync(outDir, { recursive: true });
writeFileSync(new URL('tunnel.json', outDir), `${JSON.stringify({ package: '@band/tunnel', results }, null, 2)}\n`);
process.stdout.write(`\nwrote ${new URL('tunnel.json', outDir).pathname}\n`);
