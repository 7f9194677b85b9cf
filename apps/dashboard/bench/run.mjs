// Runs every bench/*.bench.mjs of the dashboard (each default-exports an async function returning
// [{ name, value, unit, note? }]), prints them and writes bench-results/dashboard.json.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const out = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
const results = [];
for (const file of readdirSync(here).filter((f) => f.endsWith('.bench.mjs')).sort()) {
  const { default: bench } = await import(new URL(file, import.meta.url).href);
  process.stderr.write(`dashboard: ${file}\n`);
  for (const r of await bench()) {
    results.push(r);
    process.stdout.write(`${r.name.padEnd(48)} ${String(r.value).padStart(10)} ${r.unit}${r.note ? `  (${r.note})` : ''}\n`);
  }
}
mkdirSync(out, { recursive: true });
writeFileSync(`${out}dashboard.json`, `${JSON.stringify({ package: '@band/dashboard', results }, null, 2)}\n`);
