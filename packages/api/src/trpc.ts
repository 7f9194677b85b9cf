// --- init ---
import { initTRPC, TRPCError } from '@trpc/server';
import { BandApiError, toTRPCError } from './errors.js';
import type { Context } from './context.js';

const t = initTRPC.context<Context>().create({
  // Subscriptions go over the WebSocket only (DESIGN §3): never as SSE on the HTTP handler.
  sse: { enabled: false },
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // Never the stack: agent output and paths may be sensitive, and the phone does not need it.
        stack: undefined,
        hint: cause instanceof BandApiError ? cause.hint : (cause as { hint?: string } | undefined)?.hint,
        reason: cause instanceof BandApiError ? cause.reason : (cause as { code?: string } | undefined)?.code,
      },
    };
  },
});

// --- procedures ---
export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Maps domain errors to tRPC errors in one place, so services never import tRPC. */
const mapErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    // Only errors our services threw are re-mapped; tRPC's own (input validation: BAD_REQUEST) stay as they are.
    // An unexpected crash becomes a bare "Internal error": its message may hold paths or agent output.
    if (
      cause instanceof BandApiError ||
      typeof (cause as { hint?: unknown } | undefined)?.hint === 'string' ||
      result.error.code === 'INTERNAL_SERVER_ERROR'
    ) {
      (result as { error: TRPCError }).error = toTRPCError(cause ?? result.error);
    }
  }
  return result;
});

/**
 * Subscriptions only over the WebSocket (DESIGN §3). tRPC would also stream them as SSE on the HTTP handler, where
 * the gate cannot count or close them (issue 16, finding 3); `createBandApi` refuses those requests before tRPC
 * sees them, and this is the second layer: the resolver never runs for an HTTP subscription.
 */
const refuseHttpSubscriptions = t.middleware(({ ctx, type, next }) => {
  if (type === 'subscription' && ctx.transport === 'http') throw subscriptionOverHttp();
  return next();
});

/** The error for a subscription requested on the HTTP handler (SSE): the WebSocket is the only way in. */
export function subscriptionOverHttp(): TRPCError {
  return new TRPCError({
    code: 'METHOD_NOT_SUPPORTED',
    message: 'Subscriptions are served only over the WebSocket (/api/trpc-ws), not as HTTP event streams',
    cause: new BandApiError('FORBIDDEN', 'Subscriptions are served only over the WebSocket', {
      reason: 'SUBSCRIPTION_OVER_HTTP',
      hint: 'Use a tRPC wsLink to /api/trpc-ws for subscriptions (the dashboard and the CLI do).',
    }),
  });
}

/** Only for procedures that must answer without credentials (none today besides health). */
export const publicProcedure = t.procedure.use(refuseHttpSubscriptions).use(mapErrors);

/**
 * Every other procedure. The gate already refused unauthenticated requests; this is the second layer
 * (auth.md §3.1 principle 3: never trust a single framework check).
 */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in first' });
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});
