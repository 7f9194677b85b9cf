/**
 * `vi.waitFor` / `expect.poll` options for a machine shared by many busy processes (CI: 2 cores and other jobs):
 * a spawned process, a browser or a file watcher can take seconds where it takes milliseconds on a quiet one.
 * The default (1 s) turns load into flaky failures; this only waits longer when it has to.
 */
export const SLOW = { timeout: 20_000, interval: 25 } as const;
