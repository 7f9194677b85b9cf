import { type Step, OK, header, reject } from '../internal/context.js';
import { decideUpgradeOrigin } from '../policy.js';

/** Upgrades: Origin must be exactly the expected one (a cookie upgrade without Origin is refused). */
export const checkUpgradeOrigin: Step = (ctx) => {
  const decision = decideUpgradeOrigin(
    ctx.credential === 'bearer' ? 'bearer' : 'cookie',
    header(ctx.req, 'origin'),
    header(ctx.req, 'sec-fetch-site'),
    ctx.expectedOrigin,
  );
  return decision.ok ? OK : reject(403, decision.reason);
};
