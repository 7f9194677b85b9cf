// Server cold start: spawn `node packages/server/dist/main.js` to the first authenticated 200; then idle RSS after
// settling.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// BAND_BENCH_QUICK=1 (npm run bench -- --quick): one run, to check the bench works.
const QUICK = process.env.BAND_BENCH_QUICK === '1';
const RUNS = QUICK ? 1 : 5;
const START_TIMEOUT_MS = 120_000;
const main = fileURLToPath(new URL('../../../packages/server/dist/main.js', import.meta.url));

async function once() {
  const home = mkdtempSync(join(tmpdir(), 'band-bench-'));
  const t0 = performance.now();
  const child = spawn(process.execPath, [main, '--port', '0'], {
    env: { ...process.env, BAND_HOME: home, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let out = '';
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the server printed no URL within ${START_TIMEOUT_MS / 1000} s:\n${out}`)),
        START_TIMEOUT_MS,
      );
      child.stdout.on('data', (c) => {
        out += c;
        const m = out.match(/running at (http:\/\/\S+:\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`server exited ${code}:\n${out}`));
      });
    });
    const token = JSON.parse(readFileSync(join(home, 'settings.json'), 'utf8')).tokenSecret;
    // The first authenticated page render, which includes Next's lazy route compilation.
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (;;) {
      const res = await fetch(`${url}/`, { headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
      if (res?.status === 200) break;
      if (Date.now() > deadline)
        throw new Error(
          `no authenticated 200 on ${url}/ within ${START_TIMEOUT_MS / 1000} s (last status ${res?.status ?? 'none'})`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    const coldMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2_000));
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    const rssKb = Number(status.match(/VmRSS:\s+(\d+)/)?.[1]);
    if (!(rssKb > 0)) throw new Error(`could not read the server's RSS from /proc/${child.pid}/status`);
    return { coldMs, rssMiB: rssKb / 1024 };
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(home, { recursive: true, force: true });
  }
}

export default async function bench() {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once());
  const cold = runs.map((r) => r.coldMs).sort((a, b) => a - b);
  const rss = runs.map((r) => r.rssMiB).sort((a, b) => a - b);
  const median = (xs) => xs[Math.floor(xs.length / 2)];
  return [
    {
      name: 'server cold start (spawn → first authenticated 200 on /)',
      value: Math.round(median(cold)),
      unit: 'ms',
      note: `median of ${RUNS}, min ${Math.round(cold[0])}, max ${Math.round(cold.at(-1))}`,
    },
    {
      name: 'server idle RSS (2 s after first page)',
      value: Number(median(rss).toFixed(1)),
      unit: 'MiB',
      note: `median of ${RUNS}`,
    },
  ];
}
