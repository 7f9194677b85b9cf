import { type Step, OK, reject } from '../internal/context.js';

/** Upgrades: at most `maxSocketsPerSession` open sockets per session (or per root listener). */
export const checkSocketCap: Step = (ctx, state) =>
  ctx.principal && state.socketCount(ctx.principal) >= state.limits.maxSocketsPerSession
    ? reject(429, 'TOO_MANY_SOCKETS')
    : OK;
