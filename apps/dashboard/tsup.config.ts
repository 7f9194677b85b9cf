import { defineConfig } from 'tsup';

// The server entry is plain Node; Next compiles the UI under src/app separately.
export default defineConfig({
  entry: { server: 'server.ts', main: 'main.ts' },
  format: ['esm'],
  dts: { entry: { server: 'server.ts' } },
  clean: false,
  target: 'node20',
  sourcemap: true,
  external: ['next'],
  tsconfig: 'tsconfig.server.json',
});
