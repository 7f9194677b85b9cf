import { tsupPreset } from '../../tooling/tsup/preset.mjs';

export default tsupPreset({ entry: { index: 'src/index.ts' }, noExternal: ['@band/internal'] });
