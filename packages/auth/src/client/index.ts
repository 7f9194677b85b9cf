// @band/auth/client: what a local Band client (the CLI, the desktop app) needs to talk to a Band server safely.
// Light on purpose (node:http, node:crypto, node:fs only): clients load it before they know they need the gate.

// The hello check: the server proves it holds the token before the client sends it (F11)
export { HELLO_PATH, HELLO_TIMEOUT_MS, needsServerProof, pinServerUrl, verifyServer } from './verify-server.js';
export type { VerifiedServer, VerifyServerOptions } from './verify-server.js';

// Handing a one-time sign-in link to a browser without putting it on a command line
export { REDIRECT_FILE_PATTERN, redirectPage, sweepRedirectFiles, writeRedirectFile } from './redirect-file.js';

// Errors
export { AuthError } from '../errors.js';
export type { AuthErrorCode, HelloFailure } from '../errors.js';
