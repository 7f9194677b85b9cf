import { chmodSync, copyFileSync, mkdirSync } from 'node:fs';
import { tsupPreset } from '../../tooling/tsup/preset.mjs';

export default tsupPreset({
  entry: { index: 'src/index.ts', cli: 'src/cli.ts', 'testing/index': 'src/testing/index.ts' },
  dts: { entry: { index: 'src/index.ts', 'testing/index': 'src/testing/index.ts' } },
  noExternal: ['@band/internal'],
  // The fake cloudflared is a plain executable script, shipped next to the test kit.
  async onSuccess() {
    mkdirSync('dist/testing', { recursive: true });
    copyFileSync('src/testing/fake-cloudflared.mjs', 'dist/testing/fake-cloudflared.mjs');
    copyFileSync('src/testing/fake-replay.mjs', 'dist/testing/fake-replay.mjs');
    chmodSync('dist/testing/fake-cloudflared.mjs', 0o755);
  },
});
