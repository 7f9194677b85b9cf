'use client';
import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { TunnelStatus } from '@/lib/types';
import { describeError, getBandClient } from '@/lib/trpc';

const STOPPED: TunnelStatus = {
  state: 'stopped',
  phase: null,
  mode: 'quick',
  management: null,
  tunnelId: null,
  url: null,
  stableUrl: null,
  origin: null,
  cloudflaredVersion: null,
  error: null,
  startedAt: null,
};

interface TunnelContextValue {
  status: TunnelStatus;
  /** True until the first status arrived. */
  isLoading: boolean;
  /** An error of the last start/stop call that the status does not already carry. */
  actionError: { message: string; hint?: string } | null;
  start(): Promise<void>;
  stop(): Promise<void>;
  isPanelOpen: boolean;
  openPanel(): void;
  closePanel(): void;
  /**
   * False until this browser was told, once, what starting a tunnel means (TUNNEL_EXPLAINER). Until then a
   * one-click "Continue on your phone" opens the panel with the sentence instead of starting.
   */
  isExplained: boolean;
  markExplained(): void;
}

/** Said once, before the first tunnel start from this browser (issue 22). */
export const TUNNEL_EXPLAINER = 'This starts a public https URL protected by your token; stop it any time.';
const EXPLAINED_KEY = 'band.tunnelExplained';

const TunnelContext = createContext<TunnelContextValue | null>(null);

/** Tunnel status for the whole shell: live from `tunnel.events`, plus the Mobile Access panel's open state. */
export function TunnelProvider({ children }: { children: ReactNode }) {
  const [status, setStatus] = useState<TunnelStatus>(STOPPED);
  const [isLoading, setIsLoading] = useState(true);
  const [actionError, setActionError] = useState<{ message: string; hint?: string } | null>(null);
  const [isPanelOpen, setPanelOpen] = useState(false);
  // Assume explained until the browser's storage says otherwise (no flash of the sentence for returning users).
  const [isExplained, setExplained] = useState(true);
  useEffect(() => {
    try {
      setExplained(window.localStorage.getItem(EXPLAINED_KEY) === '1');
    } catch {
      setExplained(false);
    }
  }, []);
  const markExplained = useCallback(() => {
    setExplained(true);
    try {
      window.localStorage.setItem(EXPLAINED_KEY, '1');
    } catch {
      // storage disabled: the sentence shows again next time, which is harmless
    }
  }, []);
  // The last state this window saw from the server (undefined before the first one).
  const lastState = useRef<TunnelStatus['state'] | undefined>(undefined);

  useEffect(() => {
    const { client } = getBandClient();
    let isCancelled = false;
    // The panel opens with the URL and QR code as soon as the tunnel becomes ready, whoever started it: this
    // window, another one, `band tunnel start`, the desktop menu or autoStartTunnel. A tunnel that was already
    // ready when the window opened does not pop the panel up.
    const receive = (s: TunnelStatus) => {
      const before = lastState.current;
      lastState.current = s.state;
      if (s.state === 'ready' && before !== undefined && before !== 'ready' && before !== 'degraded')
        setPanelOpen(true);
      setStatus(s);
      setIsLoading(false);
    };
    client.tunnel.status
      .query()
      .then((s) => {
        if (!isCancelled && lastState.current === undefined) receive(s);
      })
      .catch(() => setIsLoading(false));
    // The subscription yields the current status first, then every change; it resubscribes on reconnect.
    const sub = client.tunnel.events.subscribe(undefined, {
      onData: (s) => receive(s as TunnelStatus),
    });
    return () => {
      isCancelled = true;
      sub.unsubscribe();
    };
  }, []);

  const start = useCallback(async () => {
    setActionError(null);
    setPanelOpen(true);
    setStatus((s) => (s.state === 'stopped' || s.state === 'failed' ? { ...s, state: 'starting', error: null } : s));
    try {
      setStatus(await getBandClient().client.tunnel.start.mutate());
    } catch (error) {
      const e = describeError(error);
      setActionError(e);
      setStatus((s) =>
        s.state === 'starting'
          ? { ...s, state: 'failed', error: { code: e.code ?? 'START_FAILED', message: e.message, hint: e.hint } }
          : s,
      );
    }
  }, []);

  const stop = useCallback(async () => {
    setActionError(null);
    setStatus((s) => ({ ...s, state: 'stopping' }));
    try {
      setStatus(await getBandClient().client.tunnel.stop.mutate());
    } catch (error) {
      setActionError(describeError(error));
    }
  }, []);

  const value = useMemo<TunnelContextValue>(
    () => ({
      status,
      isLoading,
      actionError,
      start,
      stop,
      isPanelOpen,
      openPanel: () => setPanelOpen(true),
      closePanel: () => setPanelOpen(false),
      isExplained,
      markExplained,
    }),
    [status, isLoading, actionError, start, stop, isPanelOpen, isExplained, markExplained],
  );
  return <TunnelContext.Provider value={value}>{children}</TunnelContext.Provider>;
}

export function useTunnel(): TunnelContextValue {
  const value = useContext(TunnelContext);
  if (!value) throw new Error('useTunnel() outside <TunnelProvider>');
  return value;
}
