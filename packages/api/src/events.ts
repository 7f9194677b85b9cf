import { EventEmitter, on } from 'node:events';

/** Event name → listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/** A typed event emitter whose `on()` returns an unsubscribe function. */
export interface TypedEmitter<E extends EventMap> {
  on<K extends keyof E & string>(event: K, listener: (...args: E[K]) => void): () => void;
  emit<K extends keyof E & string>(event: K, ...args: E[K]): void;
  /** Async iteration for tRPC subscriptions; ends when `signal` aborts. Subscribe before backfilling. */
  iterate<K extends keyof E & string>(event: K, signal?: AbortSignal): AsyncIterableIterator<E[K]>;
}

export function createEmitter<E extends EventMap>(): TypedEmitter<E> {
  const emitter = new EventEmitter();
  // Every open subscription adds a listener; hundreds of phones and tabs are legitimate.
  emitter.setMaxListeners(0);
  return {
    on(event, listener) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return () => emitter.off(event, listener as (...args: unknown[]) => void);
    },
    emit(event, ...args) {
      emitter.emit(event, ...args);
    },
    iterate(event, signal) {
      return on(emitter, event, { signal }) as AsyncIterableIterator<never>;
    },
  };
}

/**
 * Merges several listeners into one async stream for a subscription. `subscribe` registers the listeners and
 * returns their unsubscribe functions; `push` returns false when the item was dropped by `shouldDrop`.
 * Ends when `signal` aborts, and always unsubscribes.
 */
export async function* streamEvents<T>(
  subscribe: (push: (item: T) => void) => Array<() => void>,
  signal?: AbortSignal,
  shouldDrop: (item: T, queued: number) => boolean = () => false,
): AsyncGenerator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  const offs = subscribe((item) => {
    if (shouldDrop(item, queue.length)) return;
    queue.push(item);
    wake?.();
  });
  const onAbort = () => wake?.();
  signal?.addEventListener('abort', onAbort);
  try {
    while (!signal?.aborted) {
      const next = queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    for (const off of offs) off();
  }
}
