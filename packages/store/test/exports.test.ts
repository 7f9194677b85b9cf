import { expect, it } from 'vitest';
import * as store from '../src/index.js';

it('exports exactly the documented public API', () => {
  expect(Object.keys(store).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_EVENTS_PAGE",
      "MAX_EVENTS_PAGE",
      "MIGRATIONS",
      "SCHEMA_VERSION",
      "StoreError",
      "isStoreError",
      "newId",
      "openStore",
      "storeDefaults",
    ]
  `);
});
