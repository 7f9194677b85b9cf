import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.js';

export const setSettingInput = z.object({
  /** Dotted path, e.g. `webServerPort` or `notifications.soundOnNeedsAttention`. */
  key: z.string().min(1).max(200),
  /** The new value; strings from the CLI are coerced by the settings schema. */
  value: z.unknown(),
});

export const settingsRouter = {
  get: authedProcedure.query(({ ctx }) => ctx.services.settings.get()),
  set: authedProcedure
    .input(setSettingInput)
    .mutation(({ ctx, input }) => ctx.services.settings.set(input.key, input.value, ctx.principal)),
} satisfies TRPCRouterRecord;
