// Issue 16: what a remote (tunnel) session may do through the API, and subscriptions only over the WebSocket.
import { readFile } from 'node:fs/promises';
import type { Principal } from '@band/auth';
import { loadSettings } from '@band/settings';
import { tempBandHome } from '@band/settings/testing';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context.js';
import { findSubscriptionCall } from '../src/create-band-api.js';
import { appRouter, createCaller } from '../src/root.js';
import type { Services } from '../src/create-services.js';
import { createSettingsService } from '../src/settings/settings-service.js';

const local: Principal = { kind: 'session', listener: 'local', sessionId: 's_local' };
const phone: Principal = { kind: 'session', listener: 'tunnel', sessionId: 's_phone' };

async function setup() {
  const tmp = await tempBandHome();
  const settings = await loadSettings({ home: tmp.home });
  const services = { settings: createSettingsService({ settings }) } as unknown as Services;
  const as = (principal: Principal) => createCaller(createContextInner({ principal, services }));
  return {
    home: tmp.home,
    file: settings.file,
    as,
    async [Symbol.asyncDispose]() {
      await settings.close();
      await tmp[Symbol.asyncDispose]();
    },
  };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: TRPCError) => error,
  );

describe('settings from a phone (finding 6): only dashboard preferences', () => {
  const localOnly: Array<[string, unknown]> = [
    ['tunnel.cloudflaredPath', '/tmp/evil-cloudflared'],
    ['tunnel.mode', 'named'],
    ['tunnel.hostname', 'band.evil.example'],
    ['tunnel.tokenFile', '/tmp/token'],
    ['tunnel', { mode: 'named', hostname: 'x.example' }],
    ['codingAgents', [{ id: 'evil', type: 'claude-code', label: 'x', command: '/tmp/evil' }]],
    ['webServerPort', 4001],
    ['worktreesDir', '/tmp/elsewhere'],
    ['autoStartTunnel', true],
    ['tokenSecret', 'a'.repeat(64)],
  ];

  it.each(localOnly)('a tunnel session may not set %s (FORBIDDEN, file untouched)', async (key, value) => {
    await using band = await setup();
    const before = await readFile(band.file, 'utf8');
    const error = await failure(band.as(phone).settings.set({ key, value }));
    expect(error.code).toBe('FORBIDDEN');
    expect(error.message).toMatch(/only be (changed|set) on the computer running Band|cannot be set through the API/);
    expect(await readFile(band.file, 'utf8')).toBe(before);
  });

  it(
    'a tunnel session may set notifications, labels and the default agent; ' + 'a local session may set the rest',
    async () => {
      await using band = await setup();
      expect(
        (await band.as(phone).settings.set({ key: 'notifications.soundOnNeedsAttention', value: false })).notifications
          .soundOnNeedsAttention,
      ).toBe(false);
      expect((await band.as(phone).settings.set({ key: 'labels', value: ['a'] })).labels).toEqual(['a']);
      expect((await band.as(local).settings.set({ key: 'webServerPort', value: 4001 })).webServerPort).toBe(4001);
      expect(
        (await band.as(local).settings.set({ key: 'tunnel.cloudflaredPath', value: '/usr/local/bin/cloudflared' }))
          .tunnel.cloudflaredPath,
      ).toBe('/usr/local/bin/cloudflared');
    },
  );

  it('settings errors name the absolute path only to a local client (finding 10)', async () => {
    await using band = await setup();
    const remote = await failure(
      band.as(phone).settings.set({ key: 'notifications.soundOnNeedsAttention', value: 'loud' }),
    );
    const shown = JSON.stringify({ message: remote.message, hint: (remote.cause as { hint?: string }).hint });
    expect(remote.code).toBe('BAD_REQUEST');
    expect(remote.message).toContain('settings.json');
    expect(remote.message).toContain('notifications.soundOnNeedsAttention');
    expect(shown).not.toContain(band.home);
    const near = await failure(
      band.as(local).settings.set({ key: 'notifications.soundOnNeedsAttention', value: 'loud' }),
    );
    expect(near.message).toContain(band.file);
  });
});

describe('subscriptions only over the WebSocket (finding 3)', () => {
  const subscriptions = Object.entries(
    appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>,
  )
    .filter(([, p]) => p._def.type === 'subscription')
    .map(([name]) => name);

  it('finds a subscription however the HTTP path spells it', () => {
    expect(subscriptions).toEqual(
      expect.arrayContaining(['terminals.events', 'workspaces.events', 'chats.events', 'tunnel.events']),
    );
    for (const name of subscriptions) expect(findSubscriptionCall(`/api/trpc/${name}`)).toBe(name);
    expect(findSubscriptionCall('/api/trpc/health,terminals.events')).toBe('terminals.events');
    expect(findSubscriptionCall('/api/trpc/terminals%2Eevents')).toBe('terminals.events');
    expect(findSubscriptionCall('/api/trpc//workspaces.events/')).toBe('workspaces.events');
    expect(findSubscriptionCall('/api/trpc/health')).toBeUndefined();
    expect(findSubscriptionCall('/api/trpc/settings.get,health')).toBeUndefined();
    expect(findSubscriptionCall('/api/trpc/%E0%A4%A')).toBeUndefined();
  });

  it.each(subscriptions)('%s with an HTTP context is METHOD_NOT_SUPPORTED before its resolver runs', async (name) => {
    // No services at all: a resolver that ran would crash with a TypeError instead.
    const caller = createCaller(createContextInner({ principal: local, services: {} as Services, transport: 'http' }));
    const fn = name.split('.').reduce<any>((node, key) => node[key], caller);
    const error = await Promise.resolve()
      .then(async () => {
        const result = await fn({ workspaceId: 'ws_x', chatId: 'c_x' });
        for await (const _ of result as AsyncIterable<unknown>) break;
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe('METHOD_NOT_SUPPORTED');
    expect((error as TRPCError).message).toContain('/api/trpc-ws');
  });
});
