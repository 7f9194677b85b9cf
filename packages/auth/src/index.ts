// Public face of @band/auth: every export is listed by hand, grouped by topic.

// Contract
export type { ClosableSocket, Device, Gate, ListenerKind, PairingCode, Principal } from './types.js';

// The gate
export { createGate, gateDefaults } from './gate.js';
export type { GateLogger, GateOptions } from './gate.js';
export type { GateLimits } from './internal/context.js';

// Inputs of the gate: a token source and a session store (Band's defaults: settings.json and sessions.json)
export { settingsTokenSource, staticToken } from './token-source.js';
export type { TokenSource } from './token-source.js';
export { fileSessionStore, memorySessionStore } from './session-store.js';
export type { SessionRecord, SessionStore, SessionStoreContext, SessionStoreFactory } from './session-store.js';

// Pure decisions (tested from tables; reusable by the server composition)
export {
  allowedHosts,
  classifyRoute,
  decideBearerCrossOrigin,
  decideCookieCrossOrigin,
  decideUpgradeOrigin,
  expectedOrigin,
  isAllowedHost,
  isAllowedUpgradePath,
  isExpectedOrigin,
  isJsonContentType,
  isNavigation,
  isUntrustedHeader,
  localHosts,
  locationWithoutToken,
  loggablePath,
  parseBearer,
  parseQueryToken,
  summarizeUserAgent,
  TOKEN_PATTERN,
} from './policy.js';
export type { BearerParse, CrossOriginDecision, RouteClass } from './policy.js';

// Building blocks
export { createTokenVerifier } from './token-verifier.js';
export type { TokenVerifier } from './token-verifier.js';
export { cookieValues, sessionCookieName } from './cookies.js';
export { contentSecurityPolicy, securityHeaders } from './security-headers.js';
export { createRateLimiter, defaultBuckets } from './rate-limiter.js';
export type { BucketSpec, RateLimiter } from './rate-limiter.js';
export { PAIRING_TTL_MS } from './pairing.js';
export { computeHelloProof, formatSocketAddress, HELLO_NONCE_PATTERN, HELLO_PROOF_VERSION } from './hello.js';
export { createClientErrorHandler, headerOverflowPage } from './client-error.js';
export type { ClientErrorOptions } from './client-error.js';
export { sessionLifetimes } from './sessions.js';

// Errors
export { AuthError } from './errors.js';
export type { AuthErrorCode, HelloFailure, RejectReason } from './errors.js';
