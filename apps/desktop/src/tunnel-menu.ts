import type { BandClient, TunnelStatus } from './band-client.js';
import { silentLogger, type Logger } from './errors.js';
import type { MenuItem, WindowShell } from './window-shell.js';

export interface TunnelMenuActions {
  startTunnel(): void;
  stopTunnel(): void;
  quit(): void;
}

const STATE_LABELS: Record<TunnelStatus['state'], string> = {
  stopped: 'Tunnel: off',
  starting: 'Tunnel: starting…',
  ready: 'Tunnel: on',
  degraded: 'Tunnel: reconnecting…',
  stopping: 'Tunnel: stopping…',
  failed: 'Tunnel: failed',
};

/** The native menu/tray for a tunnel status (undefined: the server could not be asked). Pure. */
export function getTunnelMenuItems(status: TunnelStatus | undefined, actions: TunnelMenuActions): MenuItem[] {
  const items: MenuItem[] = [];
  if (!status) {
    items.push({ type: 'item', id: 'tunnel-state', label: 'Tunnel: unknown (server not reachable)', enabled: false });
  } else {
    items.push({ type: 'item', id: 'tunnel-state', label: STATE_LABELS[status.state], enabled: false });
    if (status.url && (status.state === 'ready' || status.state === 'degraded')) {
      items.push({ type: 'item', id: 'tunnel-url', label: status.url, enabled: false });
    }
    if (status.state === 'failed' && status.error) {
      items.push({
        type: 'item',
        id: 'tunnel-error',
        label: status.error.hint ?? status.error.message,
        enabled: false,
      });
    }
  }
  const canStart = status?.state === 'stopped' || status?.state === 'failed';
  const canStop = status?.state === 'starting' || status?.state === 'ready' || status?.state === 'degraded';
  items.push(
    { type: 'separator' },
    { type: 'item', id: 'tunnel-start', label: 'Start tunnel', enabled: canStart, onClick: actions.startTunnel },
    { type: 'item', id: 'tunnel-stop', label: 'Stop tunnel', enabled: canStop, onClick: actions.stopTunnel },
    { type: 'separator' },
    { type: 'item', id: 'quit', label: 'Quit Band', enabled: true, onClick: actions.quit },
  );
  return items;
}

export interface TunnelMenuController {
  /** Asks the server for the tunnel status now and redraws. */
  refresh(): Promise<void>;
  readonly status: TunnelStatus | undefined;
  close(): void;
}

export interface TunnelMenuOptions {
  client: Pick<BandClient, 'tunnelStatus' | 'startTunnel' | 'stopTunnel'>;
  shell: Pick<WindowShell, 'setMenu' | 'supportsMenu'>;
  onQuit(): void;
  /**
   * Status is polled rather than subscribed (`tunnel.events` needs a WebSocket client); changes started from
   * the dashboard show up within this interval, our own actions redraw at once. @default 2000
   */
  pollIntervalMs?: number;
  logger?: Logger;
}

/** Keeps the native menu in step with `tunnel.status`. A no-op on shells without a menu. */
export function createTunnelMenuController(options: TunnelMenuOptions): TunnelMenuController {
  const logger = options.logger ?? silentLogger;
  let status: TunnelStatus | undefined;
  let closed = false;
  let lastDrawn = '';
  const draw = () => {
    if (closed || !options.shell.supportsMenu) return;
    const key = JSON.stringify(status ?? null);
    if (key === lastDrawn) return;
    lastDrawn = key;
    options.shell.setMenu(getTunnelMenuItems(status, actions));
  };
  const run = (label: string, fn: () => Promise<TunnelStatus>) => {
    void fn()
      .then((next) => {
        status = next;
        draw();
      })
      .catch((error: unknown) => {
        const e = error as Error & { hint?: string };
        logger.error(`${label} failed: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
        void refresh();
      });
  };
  const actions: TunnelMenuActions = {
    startTunnel: () => {
      status = status && { ...status, state: 'starting' };
      draw();
      run('Start tunnel', options.client.startTunnel);
    },
    stopTunnel: () => {
      status = status && { ...status, state: 'stopping' };
      draw();
      run('Stop tunnel', options.client.stopTunnel);
    },
    quit: options.onQuit,
  };
  async function refresh() {
    if (closed) return;
    try {
      status = await options.client.tunnelStatus();
    } catch {
      status = undefined;
    }
    draw();
  }
  const timer = options.shell.supportsMenu
    ? setInterval(() => void refresh(), options.pollIntervalMs ?? 2_000)
    : undefined;
  timer?.unref();
  draw();
  return {
    refresh,
    get status() {
      return status;
    },
    close() {
      closed = true;
      if (timer) clearInterval(timer);
    },
  };
}
