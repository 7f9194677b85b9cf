import { AsyncLocalStorage } from 'node:async_hooks';
import type { BandCaller } from '@band/api';

/**
 * What a server-rendered dashboard page may read while Next renders it: the API as the principal the gate accepted
 * for that request (issue 19: the workspace list is in the first HTML, not fetched after hydration). The dashboard
 * is a separate build (Next's own module graph), so the scope is found under a global symbol, not imported; the
 * dashboard's `lib/page-data.ts` reads it with the same shape.
 */
export interface PageRequest {
  /** Made on first use: a page that reads nothing costs nothing. */
  caller(): BandCaller;
}

export const PAGE_REQUEST_KEY = Symbol.for('band.pageRequest');

const scope = new AsyncLocalStorage<PageRequest>();
(globalThis as Record<symbol, unknown>)[PAGE_REQUEST_KEY] = scope;

/** Runs Next's handler for one request inside its page scope. */
export function runInPageScope<T>(createCaller: () => BandCaller, handle: () => T): T {
  let caller: BandCaller | undefined;
  return scope.run({ caller: () => (caller ??= createCaller()) }, handle);
}
