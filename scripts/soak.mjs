#!/usr/bin/env node
// `npm run soak`: fault runs (test/soak/*.soak.mjs), one at a time, each in its own process, against the built
// packages. Each fault writes what "survived" means and what was measured; this prints one table and writes
// soak-results/summary.json (docs/reliability.md explains every row).
//   npm run soak [-- <fault>...]   only these (file name without .soak.mjs, e.g. disconnect-storm)
//   npm run soak -- --quick        every fault in a short mode (BAND_SOAK_QUICK=1), about two minutes. CI runs it.
//   npm run soak -- --no-build     skip the build (the packages are built already, as after `npm test`)
// A fault whose criteria are not all met, that crashes, hangs or writes no result fails the run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { closeRunTemp, openRunTemp, runTempEnv } from '../tooling/testing/run-temp.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const faultsDir = join(root, 'test', 'soak');
const resultsDir = join(root, 'soak-results');
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const only = args.filter((a) => !a.startsWith('--'));
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1' };
if (quick) env.BAND_SOAK_QUICK = '1';
const faultTimeoutMs = quick ? 5 * 60_000 : 30 * 60_000;

const faults = readdirSync(faultsDir)
  .filter((f) => f.endsWith('.soak.mjs'))
  .map((f) => f.replace(/\.soak\.mjs$/, ''))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();
const unknown = only.filter((name) => !faults.includes(name));
if (unknown.length > 0) {
  process.stderr.write(`soak: no fault named ${unknown.join(', ')} (test/soak/<name>.soak.mjs)\n`);
  process.exit(2);
}

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

// Its own TMPDIR, as a test suite has (tooling/testing/run-temp.mjs): what the agent CLIs and the tunnel keep
// there goes with it.
const runTmp = openRunTemp();
Object.assign(env, runTempEnv(runTmp));
const started = Date.now();
const failures = [];
const results = [];
for (const name of faults) {
  const out = join(resultsDir, `${name}.json`);
  process.stderr.write(`\n=== soak ${name}${quick ? ' (quick)' : ''}\n`);
  const t0 = Date.now();
  const run = spawnSync(process.execPath, [join(faultsDir, `${name}.soak.mjs`)], {
    cwd: root,
    env: { ...env, BAND_SOAK_OUT: out },
    stdio: 'inherit',
    timeout: faultTimeoutMs,
    killSignal: 'SIGKILL',
  });
  const seconds = (Date.now() - t0) / 1000;
  process.stderr.write(`=== soak ${name}: ${seconds.toFixed(1)} s\n`);
  let result;
  if (existsSync(out)) {
    try {
      result = JSON.parse(readFileSync(out, 'utf8'));
    } catch (error) {
      failures.push(`${name}: result is not valid JSON (${error.message})`);
    }
  }
  if (run.error?.code === 'ETIMEDOUT') failures.push(`${name}: did not finish within ${faultTimeoutMs / 60_000} min`);
  else if (!result) failures.push(`${name}: exited ${run.status ?? run.signal} without a result`);
  if (!result) continue;
  result.seconds = Math.round(seconds);
  results.push(result);
  for (const c of result.criteria ?? [])
    if (!c.ok) failures.push(`${name}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`);
  if (!Array.isArray(result.criteria) || result.criteria.length === 0) failures.push(`${name}: checked nothing`);
  if (run.status !== 0 && result.criteria?.every((c) => c.ok))
    failures.push(`${name}: exited ${run.status ?? run.signal}`);
}
closeRunTemp(runTmp, 'npm run soak');

const rows = [['FAULT', 'SURVIVED', 'CRITERION / FIGURE', 'RESULT']];
for (const r of results) {
  for (const c of r.criteria ?? []) rows.push([r.fault, c.ok ? 'yes' : 'NO', c.name, c.detail ?? '']);
  for (const f of r.figures ?? []) rows.push([r.fault, '', f.name, `${f.value} ${f.unit}`]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => String(row[i]).length)));
process.stdout.write(
  `\n${rows
    .map((row) =>
      row
        .map((c, i) => String(c).padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`,
);
const summary = { date: new Date().toISOString(), node: process.version, quick, faults: results, failures };
writeFileSync(join(resultsDir, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
process.stdout.write(`\nwrote soak-results/summary.json (${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
if (failures.length > 0) {
  process.stderr.write(`\nFAILED (${failures.length}):\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  process.exit(1);
}
