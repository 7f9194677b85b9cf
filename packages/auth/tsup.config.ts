import { tsupPreset } from '../../tooling/tsup/preset.mjs';

export default tsupPreset({
  entry: {
    index: 'src/index.ts',
    'testing/index': 'src/testing/index.ts',
    hello: 'src/hello.ts',
    'client/index': 'src/client/index.ts',
  },
  noExternal: ['@band/internal'],
});
