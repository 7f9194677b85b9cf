// Runs every bench/*.bench.mjs of the dashboard (each default-exports an async function returning
// [{ name, value, unit, note? }]), prints them and writes bench-results/dashboard.json. A bench that throws is
// reported as failed (exit code 1); the others still run and are written.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const out = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
const results = [];
const failed = [];
for (const file of readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort()) {
  process.stderr.write(`dashboard: ${file}\n`);
  let rows;
  try {
    const { default: bench } = await import(new URL(file, import.meta.url).href);
    rows = await bench();
  } catch (error) {
    failed.push(file);
    process.stderr.write(`dashboard: ${file} FAILED: ${error?.stack ?? error}\n`);
    continue;
  }
  for (const r of rows) {
    results.push(r);
    process.stdout.write(
      `${r.name.padEnd(48)} ${String(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}\n`,
    );
  }
}
if (failed.length > 0) {
  process.stderr.write(`dashboard: ${failed.length} bench(es) failed: ${failed.join(', ')}\n`);
  process.exitCode = 1;
}
mkdirSync(out, { recursive: true });
writeFileSync(`${out}dashboard.json`, `${JSON.stringify({ package: '@band/dashboard', results }, null, 2)}\n`);
