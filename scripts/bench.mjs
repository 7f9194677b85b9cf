#!/usr/bin/env node
// `npm run bench`: builds, runs every workspace's `bench` script one at a time (timings need a quiet machine),
// then prints one table of every figure and writes bench-results/summary.json.
//   npm run bench [-- <package>...]   only these (directory or package name)
//   npm run bench -- --quick          every bench in a short mode (BAND_BENCH_QUICK=1): checks that each still
//                                     works, in a couple of minutes; the figures are not worth comparing. CI runs it.
//   npm run bench -- --no-build       skip the build (the packages are built already, as after `npm test`)
// A bench that fails, writes no results, or reports a figure that is not a finite number (a failed measurement
// dressed up as -1 ms or "0 skipped") fails the run: it is listed as FAILED, never scored.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeRunTemp, openRunTemp, runTempEnv } from '../tooling/testing/run-temp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, 'bench-results');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
if (quick) env.BAND_BENCH_QUICK = '1';
// Per bench: a hung measurement is a failure too.
const benchTimeoutMs = quick ? 4 * 60_000 : 15 * 60_000;

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

if (!args.includes('--no-build')) {
  const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const workspaces = [];
for (const group of ['packages', 'apps']) {
  for (const dir of readdirSync(join(root, group))) {
    const manifest = join(root, group, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    if (pkg.scripts?.bench && (only.length === 0 || only.includes(dir) || only.includes(pkg.name))) {
      workspaces.push({ dir: join(root, group, dir), name: pkg.name });
    }
  }
}

// Its own TMPDIR, as a test suite has (tooling/testing/run-temp.mjs): what the agent CLIs and the tunnel keep
// there goes with it.
const runTmp = openRunTemp();
Object.assign(env, runTempEnv(runTmp));
const failures = [];
const started = Date.now();
for (const ws of workspaces) {
  process.stderr.write(`\n=== bench ${ws.name}${quick ? ' (quick)' : ''}\n`);
  const t0 = Date.now();
  const run = spawnSync('npm', ['run', 'bench', '--silent'], {
    cwd: ws.dir,
    env,
    stdio: 'inherit',
    timeout: benchTimeoutMs,
    killSignal: 'SIGKILL',
  });
  process.stderr.write(`=== bench ${ws.name}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  if (run.error?.code === 'ETIMEDOUT')
    failures.push(`${ws.name}: did not finish within ${benchTimeoutMs / 60_000} min`);
  else if (run.status !== 0) failures.push(`${ws.name}: exited ${run.status ?? run.signal}`);
}
closeRunTemp(runTmp, 'npm run bench');

// Every figure must be a measurement: a finite number with a unit. Anything else is a failure, named.
const rows = [];
const reported = new Set();
for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json') && f !== 'summary.json')) {
  let data;
  try {
    data = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
  } catch (error) {
    failures.push(`bench-results/${file}: not valid JSON (${error.message})`);
    continue;
  }
  const name = data.package ?? file.replace(/\.json$/, '');
  reported.add(name);
  if (!Array.isArray(data.results) || data.results.length === 0) failures.push(`${name}: no results`);
  for (const r of data.results ?? []) {
    const problem = invalid(r);
    if (problem) failures.push(`${name}: "${r.name}" ${problem}${r.note ? ` (${r.note})` : ''}`);
    else rows.push({ package: name, ...r });
  }
}
for (const ws of workspaces) {
  if (!reported.has(ws.name) && !failures.some((f) => f.startsWith(`${ws.name}:`)))
    failures.push(`${ws.name}: wrote no results`);
}
const table = [
  ['PACKAGE', 'BENCHMARK', 'VALUE', 'UNIT', 'NOTE'],
  ...rows.map((r) => [r.package, r.name, formatValue(r.value), r.unit, r.note ?? '']),
];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
process.stdout.write(
  `\n${table
    .map((row) =>
      row
        .map((c, i) => String(c).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`,
);
writeFileSync(
  join(resultsDir, 'summary.json'),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results: rows }, null, 2)}\n`,
);
process.stdout.write(
  `\nwrote ${join('bench-results', 'summary.json')} (${((Date.now() - started) / 1000).toFixed(0)} s)\n`,
);
if (failures.length > 0) {
  process.stderr.write(`\nFAILED (${failures.length}):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  process.exit(1);
}
process.exit(0);

/** Why a result row is not a measurement, or undefined when it is one. */
function invalid(r) {
  if (!r || typeof r.name !== 'string' || !r.name) return 'has no name';
  if (typeof r.value !== 'number' || !Number.isFinite(r.value)) return `is not a number (${JSON.stringify(r.value)})`;
  if (typeof r.unit !== 'string' || !r.unit || /skip|fail|n\/a/i.test(r.unit))
    return `has no unit of measure (${JSON.stringify(r.unit)})`;
  if (r.value < 0) return `is negative (${r.value}), a failed measurement`;
  if (/\b(skipped|not measured|failed|unavailable)\b/i.test(r.note ?? '')) return 'says it was not measured';
  return undefined;
}

function formatValue(v) {
  if (typeof v !== 'number') return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
