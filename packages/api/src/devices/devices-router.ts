import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.js';

export const revokeDeviceInput = z.object({ id: z.string().min(1).max(200) });
export const createPairingCodeInput = z.object({ listener: z.enum(['local', 'tunnel']).default('local') });

export const devicesRouter = {
  /** Signed-in browser sessions; `current` marks the caller's own. */
  list: authedProcedure.query(({ ctx }) => ctx.services.devices.list(ctx.principal)),
  /** Refuses the caller's own session (CONFLICT `CURRENT_DEVICE`): that is a sign-out. */
  revoke: authedProcedure
    .input(revokeDeviceInput)
    .mutation(({ ctx, input }) => ctx.services.devices.revoke(input.id, ctx.principal)),
} satisfies TRPCRouterRecord;

export const authRouter = {
  /** A one-time sign-in link (QR code, `band open`): the permanent token never leaves the server. */
  createPairingCode: authedProcedure
    .input(createPairingCodeInput)
    .mutation(({ ctx, input }) => ctx.services.devices.createPairingCode(input.listener)),
  /** The permanent token, for the Mobile Access panel's "reveal". Never through the tunnel. */
  revealToken: authedProcedure.mutation(({ ctx }) => ctx.services.devices.revealToken(ctx.principal)),
} satisfies TRPCRouterRecord;
