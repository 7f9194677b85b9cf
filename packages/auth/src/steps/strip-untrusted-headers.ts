import { type Step, OK } from '../internal/context.js';
import { isUntrustedHeader } from '../policy.js';

/** Step 5: drop headers nobody outside may set (x-middleware-*, forwarding headers, cf-* on the local listener). */
export const stripUntrustedHeaders: Step = (ctx) => {
  for (const name of Object.keys(ctx.req.headers)) {
    if (isUntrustedHeader(name, ctx.listener)) delete ctx.req.headers[name];
  }
  return OK;
};
