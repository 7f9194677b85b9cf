import { type Step, OK, header, reject } from '../internal/context.js';
import { allowedHosts, expectedOrigin, isAllowedHost } from '../policy.js';

/** Step 3: the Host allowlist of the listener (DNS rebinding), before any credential is looked at. */
export const checkHost: Step = (ctx, state) => {
  const host = header(ctx.req, 'host');
  if (!host) return reject(400, 'HOST_MISSING');
  if (!isAllowedHost(host, allowedHosts(ctx.listener, state.localPort, state.tunnelHost))) {
    return reject(403, 'HOST_NOT_ALLOWED');
  }
  ctx.host = host.toLowerCase();
  ctx.expectedOrigin = expectedOrigin(ctx.listener, ctx.host);
  return OK;
};
