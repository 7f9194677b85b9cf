'use client';
import { useSyncExternalStore } from 'react';
import { type ConnectionState, getBandClient } from '@/lib/trpc';

const subscribe = (onChange: () => void) => getBandClient().onState(onChange);
const read = () => getBandClient().getState();
// The server, and hydration, render the state every page starts in.
const readOnServer = (): ConnectionState => 'connecting';

/** The live state of the subscription socket, for the connection indicator. */
export function useConnectionState(): ConnectionState {
  return useSyncExternalStore(subscribe, read, readOnServer);
}
