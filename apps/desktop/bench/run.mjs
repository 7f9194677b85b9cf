#!/usr/bin/env node
// Bench: time from launching `band-desktop` to a usable window (real server, Chromium in app mode on Xvfb).
// Prints a table and writes bench-results/desktop.json at the repository root.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

// BAND_BENCH_QUICK=1 (npm run bench -- --quick): one launch, to check the bench works.
const RUNS = Number(process.env.BENCH_RUNS ?? (process.env.BAND_BENCH_QUICK === '1' ? 1 : 3));
const appDir = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
const run = promisify(execFile);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const missing = ['Xvfb', 'xdotool'].filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
if (!existsSync(join(appDir, '../dashboard/.next/BUILD_ID'))) missing.push('the dashboard build (npm run build)');
if (missing.length > 0) {
  // Not measured is not a result: fail, naming what to install (.ci/run installs all of it).
  process.stderr.write(`desktop bench failed: missing ${missing.join(', ')}\n`);
  process.exit(1);
}
const build = spawnSync(process.execPath, [join(appDir, '../../node_modules/tsup/dist/cli-default.js')], {
  cwd: appDir,
  encoding: 'utf8',
});
if (build.status !== 0) throw new Error(`build failed: ${build.stderr}`);
const { chromium } = await import('playwright-core');

// --- display ---
const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x860x24', '-nolisten', 'tcp'], {
  stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
});
const display = await new Promise((resolve) => {
  let text = '';
  xvfb.stdio[3].on('data', (c) => {
    text += c;
    if (text.includes('\n')) resolve(`:${text.trim()}`);
  });
});

async function waitFor(check, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function once() {
  const base = await mkdtemp(join(tmpdir(), 'band-desktop-bench-'));
  const home = join(base, 'home');
  const started = performance.now();
  const child = spawn(process.execPath, [join(appDir, 'bin/band-desktop.js'), '--home', home, '--port', '0'], {
    env: {
      ...process.env,
      DISPLAY: display,
      BAND_DESKTOP_BROWSER_ARGS: '--disable-gpu',
      BAND_DESKTOP_DANGEROUSLY_ENABLE_REMOTE_DEBUGGING: '1',
      NEXT_TELEMETRY_DISABLED: '1',
    },
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    // Measured independently: the window opens while the server starts.
    const windowShown = run('xdotool', ['search', '--sync', '--onlyvisible', '--class', 'band-desktop'], {
      env: { ...process.env, DISPLAY: display },
      timeout: 120_000,
    }).then(() => performance.now() - started);
    const record = await waitFor(
      async () => {
        const text = await readFile(join(home, 'run/desktop.json'), 'utf8').catch(() => '');
        let r;
        try {
          r = JSON.parse(text);
        } catch {
          return undefined; // not there yet
        }
        return r?.state === 'ready' ? r : undefined;
      },
      120_000,
      'the server',
    );
    const serverReadyMs = performance.now() - started;
    const windowMs = await windowShown;
    const endpoint = await waitFor(
      async () => {
        const text = await readFile(join(home, 'desktop/app-profile/DevToolsActivePort'), 'utf8').catch(() => '');
        const [port, path] = text.split('\n');
        return port && path ? `ws://127.0.0.1:${port.trim()}${path.trim()}` : undefined;
      },
      60_000,
      'DevTools',
    );
    const browser = await chromium.connectOverCDP(endpoint);
    const page = await waitFor(() => browser.contexts()[0]?.pages()[0], 30_000, 'the page');
    await page.waitForURL(`${record.url}/`, { timeout: 60_000 });
    await page.locator('[data-testid="connection-indicator"]', { hasText: 'Live' }).waitFor({ timeout: 60_000 });
    const usableMs = performance.now() - started;
    await browser.close();
    const quitStarted = performance.now();
    child.kill('SIGTERM');
    await exited;
    const quitMs = performance.now() - quitStarted;
    return { serverReadyMs, windowMs, usableMs, quitMs };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(base, { recursive: true, force: true });
  }
}

const samples = [];
const loadBefore = loadavg()[0];
try {
  for (let i = 0; i < RUNS; i++) samples.push(await once());
} finally {
  xvfb.kill('SIGTERM');
}

// The machine is shared; the load average says how much of each figure is waiting for a CPU.
const load = `load average ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)} on ${availableParallelism()} CPUs`;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const metric = (key) => Math.round(median(samples.map((s) => s[key])));
const results = [
  {
    name: 'launch → server ready',
    value: metric('serverReadyMs'),
    unit: 'ms',
    note: `median of ${RUNS}; fresh BAND_HOME, real server child (Next prod build); ${load}`,
  },
  {
    name: 'launch → window visible',
    value: metric('windowMs'),
    unit: 'ms',
    note:
      `median of ${RUNS}; Chromium --app on Xvfb (opens on the launch ` +
      `page while the server starts), found with xdotool; ${load}`,
  },
  {
    name: 'launch → usable window (signed in, live)',
    value: metric('usableMs'),
    unit: 'ms',
    note: `median of ${RUNS}; dashboard loaded via the one-time pairing link, WebSocket "Live"; ${load}`,
  },
  {
    name: 'quit (SIGTERM → all stopped)',
    value: metric('quitMs'),
    unit: 'ms',
    note: `median of ${RUNS}; window, server and children stopped; ${load}`,
  },
];
process.stdout.write(`\n@band/desktop bench (${RUNS} runs)\n`);
for (const r of results) process.stdout.write(`  ${r.name.padEnd(44)} ${String(r.value).padStart(6)} ${r.unit}\n`);
process.stdout.write(`  runs: ${samples.map((s) => Math.round(s.usableMs)).join(', ')} ms to usable; ${load}\n`);
await mkdir(resultsDir, { recursive: true });
await writeFile(
  join(resultsDir, 'desktop.json'),
  `${JSON.stringify({ package: '@band/desktop', results }, null, 2)}\n`,
);
