// `npm run bench`: how long `band` takes from spawn to exit, offline and against a real server.
// Prints a table and writes <repo>/bench-results/cli.json.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../bin/band.js', import.meta.url));
// BAND_BENCH_QUICK=1 (npm run bench -- --quick): one run each, to check the bench works.
const RUNS = Number(process.env.BAND_BENCH_RUNS ?? (process.env.BAND_BENCH_QUICK === '1' ? 1 : 9));

// Asynchronous on purpose: the server runs in this process and must keep answering while band runs.
function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`band ${args.join(' ')} exited ${code}: ${stderr}`)),
    );
  });
}

async function timeCommand(args, env) {
  const samples = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run(args, env);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[Math.floor(samples.length / 2)], min: samples[0] };
}

const results = [];
const home = mkdtempSync(join(tmpdir(), 'band-cli-bench-'));
const env = { ...process.env, BAND_HOME: home };
for (const key of Object.keys(env)) if (key.startsWith('BAND_') && key !== 'BAND_HOME') delete env[key];

const offline = await timeCommand(['--version'], env);
results.push({
  name: 'band --version (spawn to exit), median',
  value: round(offline.median),
  unit: 'ms',
  note: `min ${round(offline.min)} ms, ${RUNS} runs`,
});
const completion = await timeCommand(['completion', 'bash'], env);
results.push({
  name: 'band completion bash, median',
  value: round(completion.median),
  unit: 'ms',
  note: `${RUNS} runs`,
});

// A server that does not start is a failed bench (the error propagates), never a figure.
let server;
try {
  const { startServer } = await import('@band/server');
  const silent = { debug() {}, info() {}, warn() {}, error() {} };
  server = await startServer({ home, port: 0, logger: silent });
  const online = { ...env, BAND_SERVER_URL: server.url };
  const status = await timeCommand(['status', '--output', 'json'], online);
  results.push({
    name: 'band status (health + tunnel), median',
    value: round(status.median),
    unit: 'ms',
    note: `min ${round(status.min)} ms, ${RUNS} runs`,
  });
  const settings = await timeCommand(['settings'], online);
  results.push({ name: 'band settings, median', value: round(settings.median), unit: 'ms', note: `${RUNS} runs` });
} finally {
  await server?.close();
  rmSync(home, { recursive: true, force: true });
}

function round(n) {
  return Math.round(n * 10) / 10;
}

const width = Math.max(...results.map((r) => r.name.length));
process.stdout.write(`${'BENCHMARK'.padEnd(width)}  VALUE     NOTE\n`);
for (const r of results)
  process.stdout.write(`${r.name.padEnd(width)}  ${`${r.value} ${r.unit}`.padEnd(8)}  ${r.note}\n`);
const dir = new URL('../../../bench-results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(new URL('cli.json', dir), `${JSON.stringify({ package: '@band/cli', results }, null, 2)}\n`);
