import { tsupPreset } from '../../tooling/tsup/preset.mjs';

// Two entries: the app (`main`) and the server child it spawns (`server-child`).
export default tsupPreset({ entry: { main: 'src/main.ts', 'server-child': 'src/server-child.ts' }, dts: false });
