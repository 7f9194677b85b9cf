import { tsupPreset } from '../../tooling/tsup/preset.mjs';

export default tsupPreset({
  entry: { main: 'src/main.ts', docs: 'src/docs-cli.ts' },
  dts: false,
  noExternal: ['@band/internal'],
});
