import { type Step, OK, reject } from '../internal/context.js';
import { isAllowedUpgradePath } from '../policy.js';

/** Upgrades: an explicit path allowlist; nothing unknown reaches Next (or anything else). */
export const checkUpgradePath: Step = (ctx, state) =>
  isAllowedUpgradePath(ctx.path, state.dev) ? OK : reject(404, 'NOT_FOUND');
