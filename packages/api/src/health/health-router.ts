import type { TRPCRouterRecord } from '@trpc/server';
import packageJson from '../../package.json' with { type: 'json' };
import { authedProcedure } from '../trpc.js';

const startedAt = Date.now();

export const healthRouter = {
  /** Liveness plus what a client needs to know it reached Band. */
  health: authedProcedure.query(({ ctx }) => ({
    ok: true as const,
    name: 'band' as const,
    version: packageJson.version,
    uptimeMs: Date.now() - startedAt,
    listener: ctx.principal.listener,
  })),
} satisfies TRPCRouterRecord;
