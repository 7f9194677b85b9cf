'use client';
import { useEffect, useState } from 'react';
import { type ConnectionState, getBandClient } from '@/lib/trpc';

/** The live state of the subscription socket, for the connection indicator. */
export function useConnectionState(): ConnectionState {
  const [state, setState] = useState<ConnectionState>('connecting');
  useEffect(() => {
    const handle = getBandClient();
    setState(handle.getState());
    return handle.onState(setState);
  }, []);
  return state;
}
