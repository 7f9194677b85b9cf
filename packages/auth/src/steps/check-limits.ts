import { type Step, OK, header, headerCount, reject } from '../internal/context.js';

/** Step 1: parse limits. One Host header, one Authorization, bounded URL, bounded declared bodies. */
export const checkLimits: Step = (ctx, state) => {
  if (ctx.target.length > state.limits.maxUrlLength) return reject(414, 'URL_TOO_LONG');
  const hosts = headerCount(ctx.req, 'host');
  if (hosts === 0) return reject(400, 'HOST_MISSING');
  if (hosts > 1 || headerCount(ctx.req, 'authorization') > 1) return reject(400, 'BAD_REQUEST');
  const length = header(ctx.req, 'content-length');
  if (length !== undefined) {
    const bytes = Number(length);
    if (!Number.isFinite(bytes) || bytes < 0) return reject(400, 'BAD_REQUEST');
    const limit = ctx.route === 'auth-endpoint' ? state.limits.maxAuthBodyBytes : state.limits.maxApiBodyBytes;
    if (
      (ctx.route === 'api' || ctx.route === 'auth-endpoint') &&
      bytes > limit &&
      !state.uploadRoutes.includes(ctx.path)
    ) {
      return reject(413, 'BODY_TOO_LARGE');
    }
  }
  return OK;
};
