// What @band/server's process entries (dist/main.js, dist/start.js) carry inside, and what they import at run time
// (tsup.config.ts; test/process-bundle.test.ts checks that package.json declares each import, at the version the
// inlined package asks for, since the bundle, not that package, resolves it).
import { readFileSync } from 'node:fs';

const readPackage = (name) =>
  JSON.parse(readFileSync(new URL(`../${name.replace('@band/', '')}/package.json`, import.meta.url), 'utf8'));

/** Pure JavaScript that the server loads at start, inlined: Band's packages and their dependencies. */
export const PROCESS_BUNDLE_INLINE = [
  '@band/api',
  '@band/auth',
  '@band/settings',
  '@band/tunnel',
  '@band/internal',
  'zod',
  '@trpc/server',
  'ws',
];

/**
 * Imported at run time: native modules (better-sqlite3 through @band/store, node-pty), Next (loaded from the
 * dashboard's own copy), packages whose files are run or read by path (@band/agents' MCP bridge, the TypeScript
 * language server), and ws' optional native helpers.
 */
export const PROCESS_BUNDLE_EXTERNAL = ['next', 'bufferutil', 'utf-8-validate'];
for (const name of PROCESS_BUNDLE_INLINE.filter((n) => n.startsWith('@band/'))) {
  for (const dep of Object.keys(readPackage(name).dependencies ?? {})) {
    if (!PROCESS_BUNDLE_INLINE.includes(dep) && !PROCESS_BUNDLE_EXTERNAL.includes(dep))
      PROCESS_BUNDLE_EXTERNAL.push(dep);
  }
}

/** The version each inlined package asks for, by run-time import: what @band/server must depend on. */
export function runtimeImports() {
  const wanted = {};
  for (const name of PROCESS_BUNDLE_INLINE.filter((n) => n.startsWith('@band/'))) {
    for (const [dep, spec] of Object.entries(readPackage(name).dependencies ?? {}))
      if (PROCESS_BUNDLE_EXTERNAL.includes(dep)) wanted[dep] = spec;
  }
  return wanted;
}
