import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { SettingsError } from '@band/settings';
import { StoreError } from '@band/store';
import { TunnelError } from '@band/tunnel';
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
  // What the other packages throw through a service.
  edgeUnreachable: authedProcedure.query(() => {
    throw new TunnelError('EDGE_UNREACHABLE', 'No connection to Cloudflare could be registered', {
      hint: 'Open UDP 7844',
    });
  }),
  noBinary: authedProcedure.query(() => {
    throw new TunnelError('BINARY_NOT_FOUND', 'cloudflared was not found', { hint: 'apt install cloudflared' });
  }),
  corrupt: authedProcedure.query(() => {
    throw new StoreError('DATABASE_CORRUPT', '/home/u/.band/band.db is not a valid database', {
      hint: 'Move it aside',
    });
  }),
  badSetting: authedProcedure.query(() => {
    throw new SettingsError('INVALID_FIELD', 'webServerPort must be a port', {
      file: '/home/u/.band/settings.json',
      hint: 'Use 1-65535',
      field: 'webServerPort',
    });
  }),
  unknownWithHint: authedProcedure.query(() => {
    throw Object.assign(new Error('Something a newer package says'), {
      name: 'FutureError',
      code: 'NEW_THING',
      hint: 'Upgrade Band',
    });
  }),
});
const caller = (principal: unknown) => createCallerFactory(testRouter)({ principal, services: {} } as never);
const root = { kind: 'root', listener: 'local' };

describe('tRPC error mapping', () => {
  it('answers bad input with BAD_REQUEST, not an internal error', async () => {
    const error = await caller(root)
      .validated({ id: '../x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('BAD_REQUEST');
  });

  it('maps a service error to its tRPC code and keeps the message and hint', async () => {
    const error = (await caller(root)
      .missing()
      .catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('Workspace not found: ws_x');
    expect((error.cause as BandApiError).hint).toBe('band workspaces list');
  });

  it('hides the message of an unexpected error', async () => {
    const error = (await caller(root)
      .crashed()
      .catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('INTERNAL_SERVER_ERROR');
    expect(error.message).toBe('Internal error');
  });

  it(
    'tells a client whose fault an error of another package is, ' +
      'keeping its message and hint (not all BAD_REQUEST)',
    async () => {
      const cases = [
        ['edgeUnreachable', 'SERVICE_UNAVAILABLE', 'Open UDP 7844'],
        ['noBinary', 'PRECONDITION_FAILED', 'apt install cloudflared'],
        ['corrupt', 'INTERNAL_SERVER_ERROR', 'Move it aside'],
        ['badSetting', 'BAD_REQUEST', 'Use 1-65535'],
        ['unknownWithHint', 'INTERNAL_SERVER_ERROR', 'Upgrade Band'],
      ] as const;
      for (const [procedure, code, hint] of cases) {
        const error = (await caller(root)
          [procedure]()
          .catch((e: unknown) => e)) as TRPCError;
        expect({ procedure, code: error.code }).toEqual({ procedure, code });
        expect(error.message).not.toBe('Internal error');
        expect((error.cause as { hint?: string }).hint).toBe(hint);
      }
    },
  );

  it('refuses a call without a principal (second layer behind the gate)', async () => {
    const error = (await caller(undefined)
      .missing()
      .catch((e: unknown) => e)) as TRPCError;
    expect(error.code).toBe('UNAUTHORIZED');
  });
});
