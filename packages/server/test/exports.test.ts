import { expect, it } from 'vitest';
import * as api from '../src/index.js';

it('exports exactly this public API (a change here needs a changeset)', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "ServerStartError",
      "resolveDashboardDir",
      "startServer",
    ]
  `);
});
