import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { authedProcedure } from '../trpc.js';

export const revokeDeviceInput = z.object({ id: z.string().min(1).max(200) });
export const createPairingCodeInput = z.object({ listener: z.enum(['local', 'tunnel']).default('local') });

export const devicesRouter = {
  list: authedProcedure.query(({ ctx }) => ctx.services.devices.list()),
  revoke: authedProcedure.input(revokeDeviceInput).mutation(({ ctx, input }) => ctx.services.devices.revoke(input.id)),
} satisfies TRPCRouterRecord;

export const authRouter = {
  /** A one-time sign-in link (QR code, `band open`): the permanent token never leaves the server. */
  createPairingCode: authedProcedure
    .input(createPairingCodeInput)
    .mutation(({ ctx, input }) => ctx.services.devices.createPairingCode(input.listener)),
  /** The permanent token, for the Mobile Access panel's "reveal". Never through the tunnel. */
  revealToken: authedProcedure.mutation(({ ctx }) => ctx.services.devices.revealToken(ctx.principal)),
} satisfies TRPCRouterRecord;
