import { describe, expect, it, vi } from 'vitest';
import type { TunnelStatus } from '../src/band-client.js';
import { createTunnelMenuController, getTunnelMenuItems } from '../src/tunnel-menu.js';
import type { MenuItem } from '../src/window-shell.js';
import { createFakeShell, SLOW } from './helpers.js';

const status = (state: TunnelStatus['state'], extra: Partial<TunnelStatus> = {}): TunnelStatus => ({
  state,
  url: null,
  error: null,
  startedAt: null,
  ...extra,
});
const noop = { startTunnel() {}, stopTunnel() {}, quit() {} };
const item = (items: MenuItem[], id: string) =>
  items.find((i) => i.type === 'item' && i.id === id) as Extract<MenuItem, { type: 'item' }> | undefined;

describe('getTunnelMenuItems', () => {
  it.each([
    ['stopped', true, false, 'Tunnel: off'],
    ['failed', true, false, 'Tunnel: failed'],
    ['starting', false, true, 'Tunnel: starting…'],
    ['ready', false, true, 'Tunnel: on'],
    ['degraded', false, true, 'Tunnel: reconnecting…'],
    ['stopping', false, false, 'Tunnel: stopping…'],
  ] as const)('%s: start enabled=%s, stop enabled=%s', (state, canStart, canStop, label) => {
    const items = getTunnelMenuItems(status(state), noop);
    expect(item(items, 'tunnel-start')?.enabled).toBe(canStart);
    expect(item(items, 'tunnel-stop')?.enabled).toBe(canStop);
    expect(item(items, 'tunnel-state')?.label).toBe(label);
  });

  it('shows the public URL while the tunnel is up', () => {
    const items = getTunnelMenuItems(status('ready', { url: 'https://a-b-c.trycloudflare.com' }), noop);
    expect(item(items, 'tunnel-url')?.label).toBe('https://a-b-c.trycloudflare.com');
  });

  it('shows the fix when the tunnel failed', () => {
    const items = getTunnelMenuItems(
      status('failed', {
        error: { code: 'BINARY_NOT_FOUND', message: 'no cloudflared', hint: 'sudo apt install cloudflared' },
      }),
      noop,
    );
    expect(item(items, 'tunnel-error')?.label).toBe('sudo apt install cloudflared');
  });

  it('offers neither start nor stop when the server cannot be reached', () => {
    const items = getTunnelMenuItems(undefined, noop);
    expect(item(items, 'tunnel-state')?.label).toMatch(/unknown/);
    expect(item(items, 'tunnel-start')?.enabled).toBe(false);
    expect(item(items, 'tunnel-stop')?.enabled).toBe(false);
    expect(item(items, 'quit')?.enabled).toBe(true);
  });
});

describe('createTunnelMenuController', () => {
  it('draws the status and starts the tunnel from the menu', async () => {
    const shell = createFakeShell({ supportsMenu: true });
    const client = {
      tunnelStatus: vi.fn(async () => status('stopped')),
      startTunnel: vi.fn(async () => status('ready', { url: 'https://x.trycloudflare.com' })),
      stopTunnel: vi.fn(async () => status('stopped')),
    };
    const controller = createTunnelMenuController({ client, shell, onQuit() {}, pollIntervalMs: 60_000 });
    await controller.refresh();
    const start = item(shell.menus.at(-1)!, 'tunnel-start')!;
    expect(start.enabled).toBe(true);
    start.onClick!();
    expect(item(shell.menus.at(-1)!, 'tunnel-state')?.label).toBe('Tunnel: starting…');
    await vi.waitFor(
      () => expect(item(shell.menus.at(-1)!, 'tunnel-url')?.label).toBe('https://x.trycloudflare.com'),
      SLOW,
    );
    item(shell.menus.at(-1)!, 'tunnel-stop')!.onClick!();
    await vi.waitFor(() => expect(item(shell.menus.at(-1)!, 'tunnel-state')?.label).toBe('Tunnel: off'), SLOW);
    expect(client.stopTunnel).toHaveBeenCalledTimes(1);
    controller.close();
  });

  it('refreshes after a failed start so the menu never lies', async () => {
    const shell = createFakeShell({ supportsMenu: true });
    const errors: string[] = [];
    const client = {
      tunnelStatus: vi.fn(async () => status('failed', { error: { code: 'X', message: 'no cloudflared' } })),
      startTunnel: vi.fn(async () => {
        throw Object.assign(new Error('tunnel.start failed'), { hint: 'install cloudflared' });
      }),
      stopTunnel: vi.fn(async () => status('stopped')),
    };
    const controller = createTunnelMenuController({
      client,
      shell,
      onQuit() {},
      pollIntervalMs: 60_000,
      logger: { debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) },
    });
    await controller.refresh();
    item(shell.menus.at(-1)!, 'tunnel-start')!.onClick!();
    await vi.waitFor(() => expect(errors[0]).toMatch(/install cloudflared/), SLOW);
    await vi.waitFor(() => expect(item(shell.menus.at(-1)!, 'tunnel-state')?.label).toBe('Tunnel: failed'), SLOW);
    controller.close();
  });

  it('polls for changes made from the dashboard', async () => {
    vi.useFakeTimers();
    try {
      const shell = createFakeShell({ supportsMenu: true });
      let current = status('stopped');
      const client = { tunnelStatus: vi.fn(async () => current), startTunnel: vi.fn(), stopTunnel: vi.fn() };
      const controller = createTunnelMenuController({ client, shell, onQuit() {}, pollIntervalMs: 1_000 });
      await controller.refresh();
      current = status('ready', { url: 'https://y.trycloudflare.com' });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(item(shell.menus.at(-1)!, 'tunnel-state')?.label).toBe('Tunnel: on');
      const drawn = shell.menus.length;
      await vi.advanceTimersByTimeAsync(3_000);
      expect(shell.menus.length).toBe(drawn); // unchanged status: no redraw
      controller.close();
      current = status('stopped');
      await vi.advanceTimersByTimeAsync(3_000);
      expect(client.tunnelStatus).toHaveBeenCalledTimes(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('does nothing on a shell without a menu', async () => {
    const shell = createFakeShell({ supportsMenu: false });
    const client = { tunnelStatus: vi.fn(async () => status('stopped')), startTunnel: vi.fn(), stopTunnel: vi.fn() };
    const controller = createTunnelMenuController({ client, shell, onQuit() {} });
    await controller.refresh();
    expect(shell.menus).toEqual([]);
    controller.close();
  });

  it('wires Quit to the app', () => {
    const onQuit = vi.fn();
    const shell = createFakeShell({ supportsMenu: true });
    createTunnelMenuController({
      client: { tunnelStatus: vi.fn(), startTunnel: vi.fn(), stopTunnel: vi.fn() },
      shell,
      onQuit,
    }).close();
    item(shell.menus[0]!, 'quit')!.onClick!();
    expect(onQuit).toHaveBeenCalled();
  });
});
