'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { type BandClient, describeError, getBandClient } from '@/lib/trpc';

export type QueryState<T> =
  | { status: 'loading'; data?: undefined; error?: undefined }
  | { status: 'error'; data?: T; error: { message: string; hint?: string } }
  | { status: 'success'; data: T; error?: undefined };

// Queries that share a key refetch together after a mutation invalidates it (a tiny stand-in for react-query).
const invalidators = new Map<string, Set<() => void>>();

/** Refetches every mounted query whose key starts with `prefix`. */
export function invalidate(prefix: string): void {
  for (const [key, fns] of invalidators) if (key.startsWith(prefix)) for (const fn of fns) fn();
}

/**
 * Runs `fetcher` on mount and whenever `key` changes; `refetch()` and `invalidate(key)` run it again.
 * Stale results of an older key never overwrite a newer one.
 */
export function useQuery<T>(key: string | null, fetcher: (client: BandClient) => Promise<T>) {
  const [state, setState] = useState<QueryState<T>>({ status: 'loading' });
  const fetcherRef = useRef(fetcher);
  fetcherRef.current = fetcher;
  const generation = useRef(0);

  const run = useCallback(() => {
    if (key === null) return;
    const mine = ++generation.current;
    fetcherRef
      .current(getBandClient().client)
      .then((data) => {
        if (mine === generation.current) setState({ status: 'success', data });
      })
      .catch((error: unknown) => {
        if (mine === generation.current)
          setState((prev) => ({ status: 'error', data: prev.data, error: describeError(error) }));
      });
  }, [key]);

  useEffect(() => {
    if (key === null) return;
    setState({ status: 'loading' });
    run();
    let fns = invalidators.get(key);
    if (!fns) invalidators.set(key, (fns = new Set()));
    fns.add(run);
    return () => {
      fns.delete(run);
      if (fns.size === 0) invalidators.delete(key);
    };
  }, [key, run]);

  return { ...state, refetch: run };
}

/** Wraps a mutation with pending and error state. */
export function useMutation<I, O>(fn: (client: BandClient, input: I) => Promise<O>) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const mutate = useCallback(async (input: I): Promise<O | undefined> => {
    setPending(true);
    setError(null);
    try {
      return await fnRef.current(getBandClient().client, input);
    } catch (e) {
      setError(describeError(e));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  return { mutate, pending, error, reset: () => setError(null) };
}
