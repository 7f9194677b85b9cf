import type { TRPCRouterRecord } from '@trpc/server';
import { authedProcedure } from '../trpc.js';

export const tunnelRouter = {
  status: authedProcedure.query(({ ctx }) => ctx.services.tunnel.status()),
  start: authedProcedure.mutation(({ ctx }) => ctx.services.tunnel.start()),
  stop: authedProcedure.mutation(({ ctx }) => ctx.services.tunnel.stop()),
  /** Every status change, the current one first. */
  events: authedProcedure.subscription(async function* ({ ctx, signal }) {
    yield* ctx.services.tunnel.watch(signal);
  }),
} satisfies TRPCRouterRecord;
