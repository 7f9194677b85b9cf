import { type Step, OK, header, reject } from '../internal/context.js';
import { SAFE_METHODS, isJsonContentType } from '../policy.js';

/** Step 9: API bodies are JSON only (explicit upload routes excepted); no multipart or text/plain form posts. */
export const checkContentType: Step = (ctx, state) => {
  if (ctx.route !== 'api' || SAFE_METHODS.has(ctx.method) || state.uploadRoutes.includes(ctx.path)) return OK;
  return isJsonContentType(header(ctx.req, 'content-type')) ? OK : reject(415, 'UNSUPPORTED_MEDIA_TYPE');
};
