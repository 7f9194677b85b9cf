import { defineConfig } from 'tsup';

// `index` is the library; `main` is what `npm start` runs in the repository (scripts/start.mjs).
export default defineConfig({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts' } },
  clean: true,
  target: 'node20',
  sourcemap: true,
  external: ['next'],
});
