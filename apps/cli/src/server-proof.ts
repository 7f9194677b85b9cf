// Port-squatting defence (auth.md §3.11, F11, issue 16 #1): before the bearer token goes to a plain-http loopback
// server, the server must prove it holds the same token (`GET /auth/hello`). The check itself lives in
// `@band/auth/client` (shared with the desktop app, so the two cannot drift); this file words its refusal for the CLI
// (exit code 7, hints naming the token source and BAND_SERVER_URL) and pins later requests to the verified address.
import { isIP } from 'node:net';
import type { HelloFailure, VerifiedServer } from '@band/auth/client';
import type { Connection } from './config.js';
import { describeTokenSource } from './config.js';
import { CliError } from './errors.js';

export type { VerifiedServer } from '@band/auth/client';

type ProofConnection = Pick<Connection, 'serverUrl' | 'token' | 'tokenSource'>;

/** A proof is needed when a token would be sent over plain http (https: TLS authenticates the tunnel). */
export function needsServerProof(connection: Pick<Connection, 'serverUrl' | 'token'>): boolean {
  return Boolean(connection.token) && new URL(connection.serverUrl).protocol === 'http:';
}

export interface ServerProofOptions {
  timeoutMs?: number;
}

/** The CLI's hint for each refusal: what to check, in terms of the CLI's own settings. */
function hintFor(reason: HelloFailure | undefined, connection: ProofConnection, fallback: string): string {
  const port = new URL(connection.serverUrl).port || '80';
  switch (reason) {
    case 'NO_HELLO':
      return (
        `An older Band server does not answer /auth/hello: upgrade the Band ` +
        `server to this CLI's version. If Band is not what listens on port ${port}, stop that program.`
      );
    case 'OLD_PROOF':
      return (
        `Upgrade the Band server to this CLI's version (the proof now binds ` +
        `the connection, issue 16). If Band is not what listens on port ${port}, stop that program.`
      );
    case 'RELAYED':
      return (
        `Another program holds that address and forwards to Band. Find it (\`ss -ltnp\`) and stop it, ` +
        `then restart Band: it listens on both loopbacks and refuses to start ` +
        `when one is taken. Until then, set BAND_SERVER_URL=http://127.0.0.1:${port}.`
      );
    case 'NO_ANSWER':
      // Band answers the hello whatever the token: silence is a busy machine or another program.
      return (
        `If Band is running at ${connection.serverUrl}, the machine may be too busy to answer in time: try again. ` +
        `Otherwise another program holds port ${port}: stop it and start Band (\`band start\`), ` +
        `or set BAND_SERVER_URL to Band's address.`
      );
    case 'HTTP_STATUS':
    case 'NOT_BAND':
    case 'WRONG_PROOF':
      return (
        `If Band is running at ${connection.serverUrl}, ${describeTokenSource(connection.tokenSource)} ` +
        `does not match its tokenSecret. ` +
        `Otherwise another program holds port ${port}: stop it and start Band (\`band start\`), ` +
        `or set BAND_SERVER_URL to Band's address.`
      );
    default:
      return fallback;
  }
}

/**
 * Asks the server for its proof (`verifyServer` of @band/auth/client). Resolves with the verified address when the
 * server is ours (undefined when no proof is needed); rejects with a `SERVER_UNVERIFIED` CliError otherwise. Network
 * errors (nothing listening) are rethrown as they are, so they map to "server not running". Never sends the token.
 */
export async function verifyServer(
  connection: ProofConnection,
  options: ServerProofOptions = {},
): Promise<VerifiedServer | undefined> {
  if (!needsServerProof(connection)) return undefined;
  // Loaded only when a proof is needed: the light client entry (~node:http + node:crypto), not the whole gate.
  const { AuthError, verifyServer: verify } = await import('@band/auth/client');
  try {
    return await verify({ url: connection.serverUrl, token: connection.token, timeoutMs: options.timeoutMs });
  } catch (error) {
    if (error instanceof AuthError && error.code === 'SERVER_UNVERIFIED') {
      throw new CliError('SERVER_UNVERIFIED', error.message, {
        hint: hintFor(error.reason, connection, error.hint),
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The connection with its host name replaced by the address that proved itself, so every later request (tRPC, the
 * WebSocket) reaches that very socket and not whatever `localhost` resolves to next time. IP-literal URLs are kept.
 */
export function pinConnection<C extends Pick<Connection, 'serverUrl'>>(
  connection: C,
  verified: VerifiedServer | undefined,
): C {
  if (!verified) return connection;
  const url = new URL(connection.serverUrl);
  if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) return connection;
  const pinned = new URL(verified.url);
  url.hostname = pinned.hostname;
  url.port = pinned.port;
  return { ...connection, serverUrl: url.toString().replace(/\/+$/, '') };
}

let once: Promise<VerifiedServer | undefined> | undefined;

/** `verifyServer`, once per process: every later call returns the same promise. */
export function verifyServerOnce(
  connection: ProofConnection,
  options?: ServerProofOptions,
): Promise<VerifiedServer | undefined> {
  once ??= verifyServer(connection, options);
  return once;
}
