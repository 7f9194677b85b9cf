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
