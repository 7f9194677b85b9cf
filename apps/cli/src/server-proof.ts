// Port-squatting defence (auth.md §3.11, F11): before the bearer token goes to a plain-http loopback server, the
// server must prove it holds the same token by answering `GET /auth/hello?n=<nonce>` with the HMAC of the nonce.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Connection } from './config.js';
import { describeTokenSource } from './config.js';
import { CliError } from './errors.js';

export const HELLO_PATH = '/auth/hello';

/** How long the process on the port gets to answer the hello (a squatter that hangs must not hang `band`). */
export const HELLO_TIMEOUT_MS = 10_000;

type ProofConnection = Pick<Connection, 'serverUrl' | 'token' | 'tokenSource'>;

/** A proof is needed when a token would be sent over plain http (https: TLS authenticates the tunnel). */
export function needsServerProof(connection: Pick<Connection, 'serverUrl' | 'token'>): boolean {
  return Boolean(connection.token) && new URL(connection.serverUrl).protocol === 'http:';
}

export interface ServerProofOptions {
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

/**
 * Asks the server for its proof and compares it in constant time. Resolves when the server is ours (or no proof is
 * needed); rejects with a `SERVER_UNVERIFIED` CliError otherwise. Network errors (nothing listening) are rethrown
 * as they are, so they map to "server not running". Never sends the token.
 */
export async function verifyServer(connection: ProofConnection, options: ServerProofOptions = {}): Promise<void> {
  if (!needsServerProof(connection)) return;
  const token = connection.token!;
  const url = new URL(connection.serverUrl);
  const port = url.port || '80';
  const nonce = randomBytes(32).toString('hex');
  const doFetch = options.fetch ?? globalThis.fetch;
  const notOurs = (why: string, cause?: unknown) =>
    new CliError('SERVER_UNVERIFIED', `The process on port ${port} is not your Band server (${why}); the token was not sent`, {
      hint: `If Band is running at ${connection.serverUrl}, ${describeTokenSource(connection.tokenSource)} does not match its tokenSecret. Otherwise another program holds port ${port}: stop it and start Band (\`band start\`), or set BAND_SERVER_URL to Band's address.`,
      cause,
    });

  let response: Response;
  try {
    response = await doFetch(`${connection.serverUrl}${HELLO_PATH}?n=${nonce}`, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs ?? HELLO_TIMEOUT_MS),
    });
  } catch (error) {
    if ((error as Error)?.name === 'TimeoutError') throw notOurs(`no answer to ${HELLO_PATH} within ${Math.round((options.timeoutMs ?? HELLO_TIMEOUT_MS) / 1000)} s`, error);
    throw error;
  }
  if (response.status === 404) {
    await response.body?.cancel().catch(() => {});
    throw new CliError('SERVER_UNVERIFIED', `The server on port ${port} cannot prove it is your Band server (no ${HELLO_PATH}); the token was not sent`, {
      hint: `An older Band server does not answer ${HELLO_PATH}: upgrade the Band server to this CLI's version. If Band is not what listens on port ${port}, stop that program.`,
    });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    throw notOurs(`it answered ${HELLO_PATH} with HTTP ${response.status}`);
  }
  let proof: unknown;
  try {
    const text = await response.text();
    proof = text.length <= 4096 ? (JSON.parse(text) as { proof?: unknown } | null)?.proof : undefined;
  } catch (error) {
    throw notOurs(`its answer to ${HELLO_PATH} is not Band's`, error);
  }
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) throw notOurs(`its answer to ${HELLO_PATH} is not Band's`);
  // The crypto lives in @band/auth so the server and the CLI cannot disagree (the light `/hello` entry: ~20 ms, not
  // the whole gate).
  const { computeHelloProof } = await import('@band/auth/hello');
  const expected = Buffer.from(computeHelloProof(token, nonce, url.host), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(proof, 'hex'))) throw notOurs('its proof does not match your token');
}

let once: Promise<void> | undefined;

/** `verifyServer`, once per process: every later call returns the same promise. */
export function verifyServerOnce(connection: ProofConnection, options?: ServerProofOptions): Promise<void> {
  once ??= verifyServer(connection, options);
  return once;
}
