// auth.md K2: every procedure requires a principal, whatever the gate in front of it does.
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { appRouter, createCaller } from '../src/root.js';

type Procedure = { _def: { type: 'query' | 'mutation' | 'subscription' } };
const procedures = Object.entries(appRouter._def.procedures as unknown as Record<string, Procedure>);

describe('the app router', () => {
  it('has the procedures the CLI and dashboard rely on', () => {
    const names = procedures.map(([name]) => name);
    for (const name of [
      'health',
      'settings.get',
      'settings.set',
      'tunnel.start',
      'tunnel.stop',
      'tunnel.status',
      'tunnel.events',
      'devices.list',
      'devices.revoke',
      'auth.createPairingCode',
      'auth.revealToken',
    ]) {
      expect(names).toContain(name);
    }
  });

  it.each(procedures.map(([name, p]) => [name, p._def.type]))(
    'K2: %s (%s) refuses a caller without a principal',
    async (name) => {
      const caller = createCaller({ principal: undefined, services: {} as never });
      // Walk "a.b.c" on the caller proxy.
      const fn = name.split('.').reduce<any>((node, key) => node[key], caller);
      const outcome = await Promise.resolve()
        .then(() => fn({}))
        .then(async (result: unknown) => {
          // A subscription returns an iterable; the error surfaces when it is read.
          if (result && typeof (result as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
            for await (const _ of result as AsyncIterable<unknown>) break;
          }
          return result;
        })
        .catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(TRPCError);
      expect((outcome as TRPCError).code).toBe('UNAUTHORIZED');
    },
  );
});
