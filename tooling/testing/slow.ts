/**
 * `vi.waitFor` / `expect.poll` options for a machine shared by many busy processes (CI: 2 cores and other jobs):
 * a spawned process, a browser or a file watcher can take seconds where it takes milliseconds on a quiet one.
 * The default (1 s) turns load into flaky failures; this only waits longer when it has to.
 */
export const SLOW = { timeout: 20_000, interval: 25 } as const;

/**
 * For a real agent CLI's first request of a turn (Claude Code, Codex): its own start, plus the MCP servers it waits
 * for, can take tens of seconds on a loaded 2-core machine, where it takes 2–5 s on a quiet one.
 */
export const AGENT_START = { timeout: 60_000, interval: 50 } as const;
