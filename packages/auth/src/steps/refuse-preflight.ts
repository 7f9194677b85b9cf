import { type Step, OK, reject } from '../internal/context.js';

/** CORS preflights are never answered with Access-Control-Allow-*: Band has no cross-origin API. */
export const refusePreflight: Step = (ctx) => (ctx.method === 'OPTIONS' ? reject(403, 'PREFLIGHT_REFUSED') : OK);
