/**
 * Wakes an async generator that drains a queue filled by event listeners. `sleep()` waits for the next `wake()` or
 * for `signal` to abort; a `wake()` while nobody sleeps is dropped, so callers drain their queue before sleeping.
 */
export interface Wakeup {
  wake(): void;
  /** Resolves at the next `wake()` or abort: `false` once `signal` has aborted (before or while sleeping). */
  sleep(): Promise<boolean>;
  /** Stops listening to `signal` (call it in the generator's `finally`). */
  dispose(): void;
}

export function createWakeup(signal?: AbortSignal): Wakeup {
  let sleeping: (() => void) | undefined;
  const wake = () => sleeping?.();
  signal?.addEventListener('abort', wake);
  return {
    wake,
    async sleep() {
      if (signal?.aborted) return false;
      await new Promise<void>((resolve) => (sleeping = resolve));
      sleeping = undefined;
      return !signal?.aborted;
    },
    dispose() {
      signal?.removeEventListener('abort', wake);
    },
  };
}
