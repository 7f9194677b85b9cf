import { expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as testing from '../src/testing/index.js';

it('exports exactly this public API (a change here needs a changeset)', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "LineSplitter",
      "TunnelError",
      "buildArgs",
      "buildLocalConfig",
      "createMachine",
      "createTunnel",
      "defaultRestartPolicy",
      "errorHints",
      "installHint",
      "isTunnelError",
      "nextDelay",
      "parseLogLine",
      "readTunnelCredentials",
      "reapOrphans",
      "recognize",
      "redact",
      "resolveBinary",
      "startTunnel",
      "transition",
      "tunnelDefaults",
      "wellKnownDirs",
    ]
  `);
  expect(Object.keys(testing).sort()).toMatchInlineSnapshot(`
    [
      "fakeCloudflaredEnv",
      "fakeCloudflaredPath",
      "fakeScenarios",
      "fakeTunnelCredentials",
      "fakeTunnelToken",
      "startFakeEdge",
    ]
  `);
});
