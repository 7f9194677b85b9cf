import type { IncomingMessage } from 'node:http';
import { clearSessionCookie, cookieValues, sessionCookieName } from '../cookies.js';
import {
  type GateContext,
  type GateState,
  type Rejection,
  type Step,
  OK,
  header,
  reject,
} from '../internal/context.js';
import { formatSocketAddress, HELLO_NONCE_PATTERN, HELLO_PROOF_VERSION, helloProof } from '../hello.js';
import { decideCookieCrossOrigin, isJsonContentType } from '../policy.js';
import { sessionIdHash, verifySessionCookie } from '../session-cookie.js';
import { bindingOf } from '../sessions.js';
import { signInPage } from '../sign-in-page.js';

/**
 * The gate's own unauthenticated surface: `GET /pair` (the page that redeems `#c=`), `POST /auth/login {token}`,
 * `POST /auth/pair {code}`, `POST /auth/logout`, and `GET /auth/hello?n=<nonce>` (the server's proof for the CLI,
 * F11). Each POST must be same-origin JSON.
 */
export const authEndpoints: Step = async (ctx, state) => {
  if (ctx.route === 'pair-page') {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD')
      return reject(405, 'METHOD_NOT_ALLOWED', { headers: { Allow: 'GET' } });
    return reject(200, 'PAIR_PAGE', {
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
      body: { kind: 'html', html: signInPage({ nonce: ctx.nonce, pair: true, bounce: false }) },
    });
  }
  if (ctx.route !== 'auth-endpoint') return OK;
  const endpoint = ctx.path;
  if (endpoint === '/auth/hello') return hello(ctx, state);
  if (endpoint !== '/auth/login' && endpoint !== '/auth/pair' && endpoint !== '/auth/logout') {
    return reject(404, 'NOT_FOUND');
  }
  if (ctx.method !== 'POST') return reject(405, 'METHOD_NOT_ALLOWED', { headers: { Allow: 'POST' } });
  const sameOrigin = decideCookieCrossOrigin({
    method: 'POST',
    route: 'auth-endpoint',
    origin: header(ctx.req, 'origin'),
    secFetchSite: header(ctx.req, 'sec-fetch-site'),
    expected: ctx.expectedOrigin,
  });
  // Same-origin proof must include an exact Origin here (browsers always send it on POST).
  if (!sameOrigin.ok || header(ctx.req, 'origin') === undefined)
    return reject(403, sameOrigin.ok ? 'ORIGIN_MISSING' : sameOrigin.reason);
  if (!isJsonContentType(header(ctx.req, 'content-type'))) return reject(415, 'UNSUPPORTED_MEDIA_TYPE');

  if (endpoint === '/auth/logout') return logout(ctx, state);

  const body = await readJsonBody(ctx.req, state.limits.maxAuthBodyBytes);
  if (body === 'too-large') return reject(413, 'BODY_TOO_LARGE');
  if (endpoint === '/auth/login') {
    const token = body && typeof body === 'object' ? (body as { token?: unknown }).token : undefined;
    if (typeof token === 'string' && state.verifier.verify(token)) return signedIn(ctx, state);
    return withMessage(state.failure(ctx, 'BAD_TOKEN'), 'That token is not valid.');
  }
  const code = body && typeof body === 'object' ? (body as { code?: unknown }).code : undefined;
  const binding = bindingOf(ctx.listener, state.localPort, state.tunnelHost);
  // A valid code is checked first and never blocked, like a valid token (auth.md §3.7).
  if (typeof code === 'string' && state.pairing.redeem(code, ctx.listener, binding, state.now())) {
    return signedIn(ctx, state);
  }
  const answer = state.failure(ctx, 'BAD_PAIRING_CODE');
  // Issue 16 #4: only attempts the limiter let through count toward invalidating codes, and only this listener's
  // codes are dropped. Otherwise one client through the tunnel, answered 429 all along, could keep burning every
  // code, the desktop's included.
  if (answer.status !== 429) state.pairing.recordFailure(ctx.listener);
  return withMessage(answer, 'This code has expired or was already used. Scan the QR code again.');
};

/**
 * `GET /auth/hello?n=<32–128 hex>` → `{"proof", "address", "v"}`: the proof for the Host the Host gate accepted and
 * for this connection's local address (`address`, e.g. `127.0.0.1:3456`, as the server's socket sees it), so a proof
 * relayed from another address fails (issue 16 #1). Needs no credential, never counts as a failure (a wrong nonce is
 * the caller's bug, not a guess), reveals nothing but the MAC and an address the caller already knows.
 */
function hello(ctx: GateContext, state: GateState): Rejection {
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD')
    return reject(405, 'METHOD_NOT_ALLOWED', { headers: { Allow: 'GET' } });
  const params = new URLSearchParams(ctx.query);
  const nonces = params.getAll('n');
  const nonce = nonces[0];
  if (nonces.length !== 1 || nonce === undefined || !HELLO_NONCE_PATTERN.test(nonce)) return reject(400, 'BAD_REQUEST');
  const address = formatSocketAddress(ctx.req.socket.localAddress, ctx.req.socket.localPort);
  return reject(200, 'HELLO', {
    headers: { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    body: {
      kind: 'json',
      value: { proof: helloProof(state.proofKey, nonce, ctx.host, address), address, v: HELLO_PROOF_VERSION },
    },
  });
}

function signedIn(ctx: GateContext, state: GateState): Rejection {
  // Always a fresh session id, overwriting any cookie presented (session fixation, D12).
  const { record, setCookie } = state.mintSession(ctx);
  ctx.sidHash = record.id.slice(0, 8);
  return reject(204, 'SIGNED_IN', { headers: { 'Set-Cookie': setCookie }, body: { kind: 'empty' } });
}

function logout(ctx: GateContext, state: GateState): Rejection {
  const name = sessionCookieName(ctx.listener, state.localPort);
  const binding = bindingOf(ctx.listener, state.localPort, state.tunnelHost);
  for (const value of cookieValues(header(ctx.req, 'cookie'), name)) {
    const verified = verifySessionCookie(state.cookieKey, value, ctx.listener, binding, state.now());
    if (verified) state.revoke(sessionIdHash(verified.sid));
  }
  return reject(204, 'SIGNED_OUT', {
    headers: { 'Set-Cookie': clearSessionCookie(ctx.listener, name) },
    body: { kind: 'empty' },
  });
}

function withMessage(rejection: Rejection, message: string): Rejection {
  return { ...rejection, body: { kind: 'json', value: { error: rejection.reason, message } } };
}

function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown | 'too-large'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: unknown) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.resume(); // drain without buffering
        done('too-large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      try {
        done(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        done(undefined);
      }
    };
    const onError = () => done(undefined);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}
