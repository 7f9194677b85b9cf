import { type Step, OK, header, reject } from '../internal/context.js';
import { decideBearerCrossOrigin, decideCookieCrossOrigin } from '../policy.js';

/**
 * Step 8: CSRF gate. Cookie state changes and API calls need same-origin proof; bearer calls must not carry a foreign
 * Origin.
 */
export const checkOrigin: Step = (ctx) => {
  const origin = header(ctx.req, 'origin');
  const decision =
    ctx.credential === 'bearer'
      ? decideBearerCrossOrigin(origin, ctx.expectedOrigin)
      : decideCookieCrossOrigin({
          method: ctx.method,
          route: ctx.route,
          origin,
          secFetchSite: header(ctx.req, 'sec-fetch-site'),
          expected: ctx.expectedOrigin,
        });
  return decision.ok ? OK : reject(403, decision.reason);
};
