'use client';
import { useQuery } from '@tanstack/react-query';
import { useSyncExternalStore } from 'react';
import { useTRPC } from '@/lib/trpc';

// The local listener answers only these host names; any other one came through the tunnel.
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const noSubscription = () => () => {};
const pageHostIsRemote = () => !LOCAL_HOSTS.has(window.location.hostname);

/**
 * True when this page came through the tunnel (a phone): what only the computer running Band can do (reveal the
 * token, change local-only settings, scan a QR code with this device) is not offered.
 * The server's answer (`health.listener`) decides; until it arrives, the page's host name does, so a panel that
 * opens before then does not show the computer's wording on the phone. (False while server-rendering.)
 */
export function useIsRemote(): boolean {
  const trpc = useTRPC();
  const health = useQuery(trpc.health.queryOptions());
  const guess = useSyncExternalStore(noSubscription, pageHostIsRemote, () => false);
  return health.data !== undefined ? health.data.listener !== 'local' : guess;
}
