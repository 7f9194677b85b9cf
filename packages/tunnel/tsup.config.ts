import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'testing/index': 'src/testing/index.ts' },
  format: ['esm'],
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } },
  clean: true,
  target: 'node20',
  sourcemap: true,
  // The fake cloudflared is a plain executable script, shipped next to the test kit.
  async onSuccess() {
    mkdirSync('dist/testing', { recursive: true });
    copyFileSync('src/testing/fake-cloudflared.mjs', 'dist/testing/fake-cloudflared.mjs');
    copyFileSync('src/testing/fake-replay.mjs', 'dist/testing/fake-replay.mjs');
    chmodSync('dist/testing/fake-cloudflared.mjs', 0o755);
  },
});
