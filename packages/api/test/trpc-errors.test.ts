import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BandApiError } from '../src/errors.js';
import { authedProcedure, createCallerFactory, router } from '../src/trpc.js';

// A tiny router on the real procedures: what a client sees for each kind of failure.
const testRouter = router({
  validated: authedProcedure.input(z.object({ id: z.string().regex(/^t_/) })).query(({ input }) => input.id),
  missing: authedProcedure.query(() => {
    throw new BandApiError('NOT_FOUND', 'Workspace not found: ws_x', { hint: 'band workspaces list' });
  }),
  crashed: authedProcedure.query(() => {
    throw new Error('secret internal detail');
  }),
});
const caller = (principal: unknown) =>
  createCallerFactory(testRouter)({ principal, services: {} } as never);
const root = { kind: 'root', listener: 'local' };

describe('tRPC error mapping', () => {
  it('answers bad input with BAD_REQUEST, not an internal error', async () => {
    const error = await caller(root).validated({ id: '../x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
  });

  it('maps a service error to its tRPC code and keeps the message and hint', async () => {
    const error = (await caller(root).missing().catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('Workspace not found: ws_x');
    expect((error.cause as BandApiError).hint).toBe('band workspaces list');
  });

  it('hides the message of an unexpected error', async () => {
    const error = (await caller(root).crashed().catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toBe('Internal error');
  });

  it('refuses a call without a principal (second layer behind the gate)', async () => {
    const error = (await caller(undefined).missing().catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('UNAUTHORIZED');
  });
});
