import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Plugin } from 'esbuild';
import { tsupPreset } from '../../tooling/tsup/preset.mjs';
import { PROCESS_BUNDLE_EXTERNAL, PROCESS_BUNDLE_INLINE } from './process-bundle.mjs';

// Two builds into dist/, so each cleans nothing and dist/ is emptied once here.
rmSync(new URL('./dist', import.meta.url), { recursive: true, force: true });

/**
 * zod's entry re-exports every locale (about 40 modules, half of zod's code) as `z.locales`; Band never reads it and
 * zod registers English on its own (classic/schemas.js). In the process bundle `locales/index.js` is English only.
 */
const zodEnglishOnly: Plugin = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]/.test(args.importer)
        ? { path: join(dirname(args.importer), '..', 'locales', 'en.js'), namespace: 'zod-en' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(args.path)};`,
      resolveDir: dirname(args.path),
    }));
  },
};

export default [
  // The library (`@band/server`): Band's packages and theirs are imported, as any library's are.
  tsupPreset({
    entry: { index: 'src/index.ts' },
    clean: false,
    external: ['next'],
    noExternal: ['@band/internal'],
  }),
  // The process entries: `main` (what `npm start` runs) and `start` (`@band/server/start`, which `band start` and the
  // desktop app's server process load). They are the same `startServer` prebuilt into one file with the pure-JS code
  // it runs: Node 20 compiles ESM module by module with no cache, and zod's 200 modules, tRPC's and ws's cost more
  // than a third of Band's start-up (issue 21). Native modules, Next and files read from disk stay packages.
  tsupPreset({
    entry: { main: 'src/main.ts', start: 'src/index.ts' },
    clean: false,
    dts: false,
    splitting: true,
    noExternal: [...PROCESS_BUNDLE_INLINE],
    external: [...PROCESS_BUNDLE_EXTERNAL],
    minifyWhitespace: true,
    minifySyntax: true,
    esbuildPlugins: [zodEnglishOnly],
    // The inlined CommonJS (ws) requires Node's own modules; an ES module has no `require` of its own.
    banner: {
      js:
        "import { createRequire as __bandRequire } from 'node:module'; " +
        'const require = __bandRequire(import.meta.url);',
    },
  }),
];
