// Port-squatting defence (auth.md §3.11, F11, issue 16 #1): before the bearer token goes to a plain-http loopback
// server, the server must prove it holds the same token by answering `GET /auth/hello?n=<nonce>` with the HMAC of the
// nonce, the Host and the server's own end of the connection. The CLI checks that proof for the address it actually
// connected to, so a squatter on `[::1]:<port>` that relays the nonce to the real server on `127.0.0.1:<port>` gets a
// proof for the wrong address, and the token is never sent. Later requests go to that same verified address.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { request } from 'node:http';
import { isIP } from 'node:net';
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
  timeoutMs?: number;
}

/** The server that proved itself: the socket address the hello connection reached, e.g. `127.0.0.1:3456`. */
export interface VerifiedServer {
  address: string;
  /** The same address as a base URL (`http://127.0.0.1:3456`, `http://[::1]:3456`). */
  url: string;
}

interface HelloAnswer {
  status: number;
  body: string;
  /** The peer of the hello connection: what the CLI connected to. */
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
        const peer = formatPeer(res.socket.remoteAddress, res.socket.remotePort);
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 4096) chunks.push(chunk);
          else res.destroy();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), peer }));
        res.on('close', () => resolve({ status: res.statusCode ?? 0, body: size <= 4096 ? Buffer.concat(chunks).toString('utf8') : '', peer }));
        res.on('error', reject);
      },
    );
    req.on('error', (error: Error) => reject(error.name === 'AbortError' ? Object.assign(new Error('hello timed out'), { name: 'TimeoutError', cause: error }) : error));
    req.end();
  });
}

/** `formatSocketAddress` of @band/auth, here so the CLI does not load it before it knows it must. */
function formatPeer(address: string | undefined, port: number | undefined): string {
  if (!address || port === undefined) return '';
  let a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  return isIP(a) === 6 ? `[${a}]:${port}` : `${a}:${port}`;
}

/**
 * Asks the server for its proof and compares it in constant time. Resolves with the verified address when the server
 * is ours (undefined when no proof is needed); rejects with a `SERVER_UNVERIFIED` CliError otherwise. Network errors
 * (nothing listening) are rethrown as they are, so they map to "server not running". Never sends the token.
 */
export async function verifyServer(connection: ProofConnection, options: ServerProofOptions = {}): Promise<VerifiedServer | undefined> {
  if (!needsServerProof(connection)) return undefined;
  const token = connection.token!;
  const url = new URL(connection.serverUrl);
  const port = url.port || '80';
  const nonce = randomBytes(32).toString('hex');
  const timeoutMs = options.timeoutMs ?? HELLO_TIMEOUT_MS;
  const notOurs = (why: string, cause?: unknown) =>
    new CliError('SERVER_UNVERIFIED', `The process on port ${port} is not your Band server (${why}); the token was not sent`, {
      hint: `If Band is running at ${connection.serverUrl}, ${describeTokenSource(connection.tokenSource)} does not match its tokenSecret. Otherwise another program holds port ${port}: stop it and start Band (\`band start\`), or set BAND_SERVER_URL to Band's address.`,
      cause,
    });

  let answer: HelloAnswer;
  try {
    answer = await getHello(url, `${HELLO_PATH}?n=${nonce}`, timeoutMs);
  } catch (error) {
    if ((error as Error)?.name === 'TimeoutError') throw notOurs(`no answer to ${HELLO_PATH} within ${Math.round(timeoutMs / 1000)} s`, error);
    throw error;
  }
  if (answer.status === 404) {
    throw new CliError('SERVER_UNVERIFIED', `The server on port ${port} cannot prove it is your Band server (no ${HELLO_PATH}); the token was not sent`, {
      hint: `An older Band server does not answer ${HELLO_PATH}: upgrade the Band server to this CLI's version. If Band is not what listens on port ${port}, stop that program.`,
    });
  }
  if (answer.status !== 200) throw notOurs(`it answered ${HELLO_PATH} with HTTP ${answer.status}`);
  let body: { proof?: unknown; address?: unknown; v?: unknown } | null;
  try {
    body = JSON.parse(answer.body) as typeof body;
  } catch (error) {
    throw notOurs(`its answer to ${HELLO_PATH} is not Band's`, error);
  }
  const proof = body?.proof;
  if (typeof proof !== 'string' || !/^[0-9a-f]{64}$/.test(proof)) throw notOurs(`its answer to ${HELLO_PATH} is not Band's`);
  if (body?.v !== 2) {
    throw new CliError('SERVER_UNVERIFIED', `The server on port ${port} answers an older ${HELLO_PATH} proof that does not name its address; the token was not sent`, {
      hint: `Upgrade the Band server to this CLI's version (the proof now binds the connection, issue 16). If Band is not what listens on port ${port}, stop that program.`,
    });
  }
  // The crypto lives in @band/auth so the server and the CLI cannot disagree (the light `/hello` entry: ~20 ms, not
  // the whole gate).
  const { computeHelloProof } = await import('@band/auth/hello');
  const expected = Buffer.from(computeHelloProof(token, nonce, url.host, answer.peer), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(proof, 'hex'))) {
    // A proof that is right for the address the server says it saw, but not for ours, is a relay: something on
    // `answer.peer` forwarded our nonce to the real Band (issue 16 #1). Say so; it is not a token mismatch.
    if (typeof body?.address === 'string' && body.address !== answer.peer && /^[0-9a-f:.[\]]{1,60}$/i.test(body.address)) {
      throw new CliError(
        'SERVER_UNVERIFIED',
        `The process on ${answer.peer} is not your Band server: it relayed a proof made for another address (${body.address}); the token was not sent`,
        {
          hint: `Another program holds ${answer.peer} and forwards to Band. Find it (\`ss -ltnp\`) and stop it, then restart Band: it listens on both loopbacks and refuses to start when one is taken. Until then, set BAND_SERVER_URL=http://127.0.0.1:${port}.`,
        },
      );
    }
    throw notOurs('its proof does not match your token');
  }
  return { address: answer.peer, url: `${url.protocol}//${answer.peer}` };
}

/**
 * The connection with its host name replaced by the address that proved itself, so every later request (tRPC, the
 * WebSocket) reaches that very socket and not whatever `localhost` resolves to next time. IP-literal URLs are kept.
 */
export function pinConnection<C extends Pick<Connection, 'serverUrl'>>(connection: C, verified: VerifiedServer | undefined): C {
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
export function verifyServerOnce(connection: ProofConnection, options?: ServerProofOptions): Promise<VerifiedServer | undefined> {
  once ??= verifyServer(connection, options);
  return once;
}
