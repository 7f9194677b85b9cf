// Port-squatting defence for clients (auth.md §3.11, F11, issue 16 #1): before the bearer token goes to a plain-http
// loopback server, the server must prove it holds the same token by answering `GET /auth/hello?n=<nonce>` with the
// HMAC of the nonce, the Host and the server's own end of the connection. The client checks that proof for the address
// it actually connected to, so a squatter on `[::1]:<port>` that relays the nonce to the real server on
// `127.0.0.1:<port>` gets a proof for the wrong address, and the token is never sent. Later requests go to that same
// verified address (`pinServerUrl`). Used by the CLI and the desktop app; light (node:http and node:crypto only).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { request } from 'node:http';
import { isIP } from 'node:net';
import { AuthError, type HelloFailure } from '../errors.js';
import { computeHelloProof, formatSocketAddress, HELLO_PROOF_VERSION } from '../hello.js';

/** The endpoint every Band server answers without credentials. */
export const HELLO_PATH = '/auth/hello';

/**
 * How long the process on the port gets to answer the hello (a squatter that hangs must not hang the client). Long
 * enough for a busy machine: a hundred CLIs started at once on two cores wait more than 10 s for a real Band.
 */
export const HELLO_TIMEOUT_MS = 30_000;

export interface VerifyServerOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:3456`. */
  url: string;
  /** The token the client is about to send (`tokenSecret`); never sent by this check. */
  token: string | null | undefined;
  /** @default 30_000 (HELLO_TIMEOUT_MS) */
  timeoutMs?: number;
}

/** The server that proved itself: the socket address the hello connection reached, e.g. `127.0.0.1:3456`. */
export interface VerifiedServer {
  address: string;
  /** The same address as a base URL (`http://127.0.0.1:3456`, `http://[::1]:3456`). */
  url: string;
}

/** A proof is needed when a token would be sent over plain http (https: TLS authenticates the tunnel). */
export function needsServerProof(url: string, token: string | null | undefined): boolean {
  return Boolean(token) && new URL(url).protocol === 'http:';
}

interface HelloAnswer {
  status: number;
  body: string;
  /** The peer of the hello connection: what the client connected to. */
  peer: string;
}

/** One GET over a fresh connection (no agent, no keep-alive), with the peer address of that very connection. */
function getHello(url: URL, path: string, timeoutMs: number): Promise<HelloAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: url.port || 80,
        path,
        method: 'GET',
        headers: { accept: 'application/json', host: url.host },
        agent: false,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        const peer = formatSocketAddress(res.socket.remoteAddress, res.socket.remotePort);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 4096) chunks.push(chunk);
          else res.destroy();
        });
        const body = () => (size <= 4096 ? Buffer.concat(chunks).toString('utf8') : '');
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body(), peer }));
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body: body(), peer }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: Error) =>
      reject(
        error.name === 'AbortError'
          ? Object.assign(new Error('hello timed out'), { name: 'TimeoutError', cause: error })
          : error,
      ),
    );
    req.end();
  });
}

function unverified(reason: HelloFailure, message: string, hint: string, cause?: unknown): AuthError {
  return new AuthError('SERVER_UNVERIFIED', message, { hint, cause, reason });
}

/**
 * Asks the server for its proof and compares it in constant time. Resolves with the verified address when the server
 * is Band with this token (undefined when no proof is needed: https, or no token); rejects with an `AuthError` of code
 * `SERVER_UNVERIFIED` (its `reason` says why) otherwise. Network errors (nothing listening) are rethrown as they are,
 * so callers can tell "not running" apart. Never sends the token.
 */
export async function verifyServer(options: VerifyServerOptions): Promise<VerifiedServer | undefined> {
  if (!needsServerProof(options.url, options.token)) return undefined;
  const token = options.token!;
  const url = new URL(options.url);
  const port = url.port || '80';
  const nonce = randomBytes(32).toString('hex');
  const timeoutMs = options.timeoutMs ?? HELLO_TIMEOUT_MS;
  const notOurs = (reason: HelloFailure, why: string, cause?: unknown) =>
    unverified(
      reason,
      `The process on port ${port} is not your Band server (${why}); the token was not sent`,
      `If Band runs at ${url.origin}, your token does not match its ` +
        `tokenSecret. Otherwise another program holds port ${port}: ` +
        `stop it and start Band.`,
      cause,
    );

  let answer: HelloAnswer;
  try {
    answer = await getHello(url, `${HELLO_PATH}?n=${nonce}`, timeoutMs);
  } catch (error) {
    if ((error as Error)?.name === 'TimeoutError')
      throw unverified(
        'NO_ANSWER',
        `The process on port ${port} gave no answer to ${HELLO_PATH} within ` +
          `${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}, ` +
          `so it is not known to be your Band server; the token was not sent`,
        `If Band runs at ${url.origin}, the machine may be too busy: try again. ` +
          `Otherwise another program holds port ${port}: stop it and start Band.`,
        error,
      );
    throw error;
  }
  if (answer.status === 404) {
    throw unverified(
      'NO_HELLO',
      `The server on port ${port} cannot prove it is your Band server (no ${HELLO_PATH}); the token was not sent`,
      `An older Band server does not answer ${HELLO_PATH}: upgrade it. ` +
        `If Band is not what listens on port ${port}, stop that program.`,
    );
  }
  if (answer.status !== 200) throw notOurs('HTTP_STATUS', `it answered ${HELLO_PATH} with HTTP ${answer.status}`);
  let body: { proof?: unknown; address?: unknown; v?: unknown } | null;
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch (error) {
    throw notOurs('NOT_BAND', `its answer to ${HELLO_PATH} is not Band's`, error);
  }
  const proof = body?.proof;
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof))
    throw notOurs('NOT_BAND', `its answer to ${HELLO_PATH} is not Band's`);
  if (body?.v !== HELLO_PROOF_VERSION) {
    throw unverified(
      'OLD_PROOF',
      `The server on port ${port} answers an older ${HELLO_PATH} ` +
        `proof that does not name its address; the token was not sent`,
      `Upgrade the Band server (the proof now binds the connection, issue 16). ` +
        `If Band is not what listens on port ${port}, stop that program.`,
    );
  }
  const expected = Buffer.from(computeHelloProof(token, nonce, url.host, answer.peer), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(proof, 'hex'))) {
    // A proof that is right for the address the server says it saw, but not for ours, is a relay: something on
    // `answer.peer` forwarded our nonce to the real Band (issue 16 #1). Say so; it is not a token mismatch.
    if (
      typeof body?.address === 'string' &&
      body.address !== answer.peer &&
      /^[0-9a-f:.[\]]{1,60}$/i.test(body.address)
    ) {
      throw unverified(
        'RELAYED',
        `The process on ${answer.peer} is not your Band server: ` +
          `it relayed a proof made for another address (${body.address}); ` +
          `the token was not sent`,
        `Another program holds ${answer.peer} and forwards to Band. Find it (\`ss -ltnp\`) and stop it, ` +
          `then restart Band: it listens on both loopbacks and refuses to ` +
          `start when one is taken. Until then, use http://127.0.0.1:${port}.`,
      );
    }
    throw notOurs('WRONG_PROOF', 'its proof does not match your token');
  }
  return { address: answer.peer, url: `${url.protocol}//${answer.peer}` };
}

/**
 * The URL with its host name replaced by the address that proved itself, so every later request (tRPC, the WebSocket)
 * reaches that very socket and not whatever `localhost` resolves to next time. IP-literal URLs are kept as they are.
 */
export function pinServerUrl(serverUrl: string, verified: VerifiedServer | undefined): string {
  if (!verified) return serverUrl;
  const url = new URL(serverUrl);
  if (isIP(url.hostname.replace(/^\[|\]$/g, ''))) return serverUrl;
  const pinned = new URL(verified.url);
  url.hostname = pinned.hostname;
  url.port = pinned.port;
  return url.toString().replace(/\/+$/, '');
}
