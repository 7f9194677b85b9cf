import { expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as testing from '../src/testing/index.js';
import * as hello from '../src/hello.js';

it('exports exactly this public API (a change here needs a changeset)', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "AuthError",
      "HELLO_NONCE_PATTERN",
      "HELLO_PROOF_VERSION",
      "PAIRING_TTL_MS",
      "TOKEN_PATTERN",
      "allowedHosts",
      "classifyRoute",
      "computeHelloProof",
      "contentSecurityPolicy",
      "cookieValues",
      "createClientErrorHandler",
      "createGate",
      "createRateLimiter",
      "createTokenVerifier",
      "decideBearerCrossOrigin",
      "decideCookieCrossOrigin",
      "decideUpgradeOrigin",
      "defaultBuckets",
      "expectedOrigin",
      "formatSocketAddress",
      "gateDefaults",
      "headerOverflowPage",
      "isAllowedHost",
      "isAllowedUpgradePath",
      "isExpectedOrigin",
      "isJsonContentType",
      "isNavigation",
      "isUntrustedHeader",
      "localHosts",
      "locationWithoutToken",
      "loggablePath",
      "parseBearer",
      "parseQueryToken",
      "securityHeaders",
      "sessionCookieName",
      "sessionLifetimes",
      "summarizeUserAgent",
    ]
  `);
  expect(Object.keys(testing).sort()).toMatchInlineSnapshot(`
    [
      "bearerHeader",
      "capturingLogger",
      "createTestGate",
      "signInCookie",
      "startGatedServer",
    ]
  `);
  expect(Object.keys(hello).sort()).toMatchInlineSnapshot(`
    [
      "HELLO_NONCE_PATTERN",
      "HELLO_PROOF_VERSION",
      "computeHelloProof",
      "deriveProofKey",
      "formatSocketAddress",
      "helloProof",
    ]
  `);
});
