// The browser's tRPC client: queries and mutations over HTTP, subscriptions over one WebSocket. Components reach
// it through TanStack Query: `useTRPC()` gives the typed options proxy (queryOptions, mutationOptions, queryKey,
// pathFilter), `useTRPCClient()` the client itself for the few calls that are not a cached query.
import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpLink,
  isNonJsonSerializable,
  splitLink,
  TRPCClientError,
  wsLink,
} from '@trpc/client';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@band/api';

export type BandClient = ReturnType<typeof createTRPCClient<AppRouter>>;

/** What the connection indicator shows. */
export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'offline';

type Listener = (state: ConnectionState) => void;

interface ClientHandle {
  client: BandClient;
  getState(): ConnectionState;
  onState(listener: Listener): () => void;
}

/** Reconnect delays: 0.5 s doubling to 10 s, with jitter so many phones do not reconnect in step. */
export function retryDelayMs(attempt: number): number {
  const base = Math.min(10_000, 500 * 2 ** attempt);
  return Math.round(base * (0.75 + Math.random() * 0.5));
}

let handle: ClientHandle | undefined;

/** The one client of this tab, created on first use (browser only). */
export function getBandClient(): ClientHandle {
  if (handle) return handle;
  if (typeof window === 'undefined') throw new Error('The Band client runs in the browser only');
  const listeners = new Set<Listener>();
  let state: ConnectionState = 'connecting';
  let wasConnected = false;
  const setState = (next: ConnectionState) => {
    if (next === state) return;
    state = next;
    for (const listener of listeners) listener(state);
  };
  const wsUrl = () => `${window.location.protocol === 'https:' ? 'wss:' : 'ws:'}//${window.location.host}/api/trpc-ws`;
  const wsClient = createWSClient({
    url: wsUrl,
    retryDelayMs,
    // The server pings every 25 s; the client's own ping detects a dead socket after a phone wakes up.
    keepAlive: { enabled: true, intervalMs: 20_000, pongTimeoutMs: 5_000 },
    onOpen: () => {
      wasConnected = true;
      setState('connected');
    },
    onClose: () => setState(navigator.onLine ? (wasConnected ? 'reconnecting' : 'connecting') : 'offline'),
  });
  window.addEventListener('offline', () => setState('offline'));
  window.addEventListener('online', () => {
    // A brief outage may not have closed the socket at all.
    if (state === 'offline') setState(wsClient.connection?.state === 'open' ? 'connected' : 'reconnecting');
  });
  const client = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: wsClient }),
        // The gate requires JSON + x-band-csrf on every API call (auth.md §3.3 step 9); the one multipart call
        // (uploads.create, FormData) goes unbatched through httpLink, with the same header and session.
        false: splitLink({
          condition: (op) => isNonJsonSerializable(op.input),
          true: httpLink({ url: '/api/trpc', headers: { 'x-band-csrf': '1' } }),
          // A batch is answered when its slowest call is. `changes.*` runs git (five processes for a status), so
          // those calls batch among themselves: a chat's history page does not wait 0.4-0.8 s for them (issue 18).
          false: splitLink({
            condition: (op) => op.path.startsWith('changes.'),
            true: httpBatchLink({ url: '/api/trpc', headers: { 'x-band-csrf': '1' } }),
            false: httpBatchLink({ url: '/api/trpc', headers: { 'x-band-csrf': '1' } }),
          }),
        }),
      }),
    ],
  });
  handle = {
    client,
    getState: () => state,
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return handle;
}

export const { TRPCProvider, useTRPC, useTRPCClient } = createTRPCContext<AppRouter>();

/** A readable message and optional hint from any error a procedure threw. */
export function describeError(error: unknown): { message: string; hint?: string; code?: string } {
  if (error instanceof TRPCClientError) {
    const data = error.data as { hint?: string; code?: string; reason?: string } | undefined;
    return { message: error.message, hint: data?.hint, code: data?.reason ?? data?.code };
  }
  if (error instanceof Error) return { message: error.message };
  // Already described (an ErrorNote given a plain { message, hint }).
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    const { message, hint } = error as { message: string; hint?: string };
    return { message, hint };
  }
  return { message: String(error) };
}
