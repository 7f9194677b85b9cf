import { clearSessionCookie, cookieValues, sessionCookieName } from '../cookies.js';
import { type GateContext, type GateState, type Step, OK, header, reject } from '../internal/context.js';
import { isNavigation, locationWithoutToken, parseBearer, parseQueryToken } from '../policy.js';
import { sessionIdHash, verifySessionCookie } from '../session-cookie.js';
import { bindingOf, sessionLifetimes } from '../sessions.js';

/**
 * Step 7: credentials. a) `Authorization: Bearer` (present and wrong is a failure, never overridden by a cookie);
 * b) `?token=` on a top-level GET navigation (exchanged for a session cookie, 303 to the URL without it);
 * c) the session cookie (every value tried). Nothing valid → 401, or 429 when the failure buckets are empty.
 */
export const authenticate: Step = (ctx, state) => {
  const authorization = header(ctx.req, 'authorization');
  if (authorization !== undefined) {
    const bearer = parseBearer(authorization);
    if (bearer.kind === 'token' && state.verifier.verify(bearer.token)) {
      ctx.principal = { kind: 'root', listener: ctx.listener };
      ctx.credential = 'bearer';
      return OK;
    }
    return state.failure(ctx, bearer.kind === 'malformed' ? 'BAD_AUTH_HEADER' : 'BAD_TOKEN');
  }

  if (!ctx.upgrade) {
    const query = parseQueryToken(ctx.query);
    if (query.kind === 'ambiguous') return reject(400, 'DUPLICATE_TOKEN_PARAM');
    if (query.kind === 'token') {
      const nav =
        ctx.method === 'GET' &&
        ctx.route === 'page' &&
        isNavigation({
          method: ctx.method,
          path: ctx.path,
          secFetchDest: header(ctx.req, 'sec-fetch-dest'),
          secFetchMode: header(ctx.req, 'sec-fetch-mode'),
        });
      if (!nav) return state.failure(ctx, 'QUERY_TOKEN_NOT_ALLOWED');
      const location = locationWithoutToken(ctx.target);
      if (state.verifier.verify(query.value)) {
        const { record, setCookie } = state.mintSession(ctx);
        ctx.sidHash = record.id.slice(0, 8);
        return reject(303, 'TOKEN_EXCHANGE', {
          headers: { Location: location, 'Set-Cookie': setCookie },
          body: { kind: 'empty' },
        });
      }
      const failed = state.failure(ctx, 'BAD_TOKEN');
      // A wrong token is not left in the history either: strip it; the next request shows the sign-in page.
      if (failed.status === 429) return failed;
      return reject(303, 'BAD_TOKEN', { headers: { Location: location }, body: { kind: 'empty' } });
    }
  } else if (parseQueryToken(ctx.query).kind !== 'absent') {
    return state.failure(ctx, 'QUERY_TOKEN_NOT_ALLOWED');
  }

  const name = sessionCookieName(ctx.listener, state.localPort);
  const values = cookieValues(header(ctx.req, 'cookie'), name);
  for (const value of values) {
    const principal = sessionFromCookie(ctx, state, value);
    if (principal) return OK;
  }
  if (values.length > 0) {
    const limited = state.limited(ctx);
    return reject(limited?.status ?? 401, limited ? 'RATE_LIMITED' : 'BAD_COOKIE', {
      headers: { ...limited?.headers, 'Set-Cookie': clearSessionCookie(ctx.listener, name) },
    });
  }
  return state.limited(ctx) ?? reject(401, 'NO_CREDENTIALS');
};

function sessionFromCookie(ctx: GateContext, state: GateState, value: string): boolean {
  const now = state.now();
  const binding = bindingOf(ctx.listener, state.localPort, state.tunnelHost);
  const verified = verifySessionCookie(state.cookieKey, value, ctx.listener, binding, now);
  if (!verified) return false;
  const id = sessionIdHash(verified.sid);
  const record = state.sessions.get(id);
  if (!record || record.listener !== ctx.listener || record.binding !== binding) return false;
  if (record.expiresAt <= now || now - record.lastSeenAt > sessionLifetimes[record.listener].idleMs) {
    state.revoke(id);
    return false;
  }
  state.sessions.touch(id, now);
  ctx.principal = { kind: 'session', listener: ctx.listener, sessionId: id };
  ctx.credential = 'cookie';
  ctx.sidHash = id.slice(0, 8);
  return true;
}
