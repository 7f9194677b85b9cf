import { tsupPreset } from '../../tooling/tsup/preset.mjs';

// `index` is the library; `main` is what `npm start` runs in the repository (scripts/start.mjs).
export default tsupPreset({
  entry: { index: 'src/index.ts', main: 'src/main.ts' },
  dts: { entry: { index: 'src/index.ts' } },
  external: ['next'],
});
