import { expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as testing from '../src/testing/index.js';

it('exports exactly this public API (a change here needs a changeset)', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_TUNNEL_ORIGIN_PORT",
      "REDACTED_TOKEN",
      "SettingsError",
      "TOKEN_SECRET_PATTERN",
      "codingAgentConfigSchema",
      "generateTokenSecret",
      "isLocalOnlySetting",
      "isTokenSecret",
      "loadSettings",
      "readTokenSecret",
      "redactSettings",
      "remoteSettableKeys",
      "resolveBandHome",
      "settingsKeys",
      "settingsSchema",
      "tunnelSettingsSchema",
      "writeFileAtomic",
    ]
  `);
  expect(Object.keys(testing).sort()).toMatchInlineSnapshot(`
    [
      "tempBandHome",
    ]
  `);
});
