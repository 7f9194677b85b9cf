import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { main: 'src/main.ts', docs: 'src/docs-cli.ts' },
  format: ['esm'],
  dts: false,
  clean: true,
  target: 'node20',
  sourcemap: true,
});
