// The process entries (dist/main.js for `npm start`, dist/start.js for `band start` and the desktop app) inline
// Band's packages with zod, tRPC and ws (tsup.config.ts). What they still import at run time is resolved from
// @band/server's own folder, so it must be one of its dependencies, at the version the inlined code was built for.
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROCESS_BUNDLE_INLINE, runtimeImports } from '../process-bundle.mjs';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  exports: Record<string, { import: string }>;
};

/** The files a process entry loads: start.js, main.js and the chunks they share (not the library's index.js). */
function processFiles(): string[] {
  return readdirSync(dist)
    .filter((f) => f.endsWith('.js') && f !== 'index.js')
    .map((f) => join(dist, f));
}

/** Bare specifiers imported, dynamically imported or required by the process entry's code. */
function bareImports(): Set<string> {
  const found = new Set<string>();
  // `require2.resolve(…)`: the language server's files are found with a createRequire of the bundle's own.
  const pattern = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\d*(?:\.resolve)?\s*\(\s*)["']([^"'./][^"']*)["']/g;
  for (const file of processFiles()) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(pattern)) {
      const name = spec!.startsWith('@') ? spec!.split('/').slice(0, 2).join('/') : spec!.split('/')[0]!;
      if (!name.startsWith('node:') && !builtinModules.includes(name)) found.add(name);
    }
  }
  return found;
}

describe('the process entries (dist/main.js, @band/server/start)', () => {
  it('are built, and @band/server/start is exported', () => {
    expect(pkg.exports['./start']?.import).toBe('./dist/start.js');
    expect(processFiles().map((f) => f.slice(dist.length))).toEqual(expect.arrayContaining(['main.js', 'start.js']));
  });

  it('import none of the packages they inline (zod, tRPC, ws and Band’s own)', () => {
    const imported = bareImports();
    expect(PROCESS_BUNDLE_INLINE.filter((name) => imported.has(name))).toEqual([]);
  });

  it('import at run time only what @band/server depends on, at the version the inlined packages ask for', () => {
    // ws requires its optional native helpers inside try/catch; Next is resolved from the dashboard's folder.
    const optional = new Set(['bufferutil', 'utf-8-validate', 'next']);
    const wanted = runtimeImports();
    const imported = [...bareImports()].filter((name) => !optional.has(name)).sort();
    expect(imported.length).toBeGreaterThan(0);
    for (const name of imported) {
      expect(pkg.dependencies[name], `${name} is imported by the process entry`).toBeDefined();
      if (wanted[name]) expect(pkg.dependencies[name], name).toBe(wanted[name]);
    }
  });

  it('offer what the library offers', async () => {
    const library = await import('@band/server');
    const start = await import('@band/server/start');
    expect(Object.keys(start).sort()).toEqual(Object.keys(library).sort());
  });
});
