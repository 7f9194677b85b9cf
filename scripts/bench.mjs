#!/usr/bin/env node
// `npm run bench`: builds, runs every workspace's `bench` script one at a time (timings need a quiet machine),
// then prints one table of every figure and writes bench-results/summary.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const resultsDir = join(root, 'bench-results');
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' };
const only = process.argv.slice(2);

rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });

const build = spawnSync('npx', ['turbo', 'run', 'build', '--output-logs=errors-only'], { cwd: root, env, stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

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

let failed = 0;
for (const ws of workspaces) {
  process.stderr.write(`\n=== bench ${ws.name}\n`);
  const run = spawnSync('npm', ['run', 'bench', '--silent'], { cwd: ws.dir, env, stdio: 'inherit', timeout: 15 * 60_000 });
  if (run.status !== 0) {
    failed++;
    process.stderr.write(`bench ${ws.name} failed (exit ${run.status})\n`);
  }
}

const rows = [];
for (const file of readdirSync(resultsDir).filter((f) => f.endsWith('.json') && f !== 'summary.json')) {
  const data = JSON.parse(readFileSync(join(resultsDir, file), 'utf8'));
  for (const r of data.results ?? []) rows.push({ package: data.package ?? file.replace(/\.json$/, ''), ...r });
}
const table = [['PACKAGE', 'BENCHMARK', 'VALUE', 'UNIT', 'NOTE'], ...rows.map((r) => [r.package, r.name, formatValue(r.value), r.unit, r.note ?? ''])];
const widths = table[0].map((_, i) => Math.max(...table.map((row) => String(row[i]).length)));
process.stdout.write(`\n${table.map((row) => row.map((c, i) => String(c).padEnd(widths[i])).join('  ').trimEnd()).join('\n')}\n`);
writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify({ date: new Date().toISOString(), node: process.version, results: rows }, null, 2)}\n`);
process.stdout.write(`\nwrote ${join('bench-results', 'summary.json')}\n`);
process.exit(failed ? 1 : 0);

function formatValue(v) {
  if (typeof v !== 'number') return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
