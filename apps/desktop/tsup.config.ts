import { defineConfig } from 'tsup';

// Two entries: the app (`main`) and the server child it spawns (`server-child`).
export default defineConfig({
  entry: { main: 'src/main.ts', 'server-child': 'src/server-child.ts' },
  format: ['esm'],
  dts: false,
  clean: true,
  target: 'node20',
  sourcemap: true,
});
