// The server's own log when the caller passes none: a line per event on stdout (info) or stderr (warn, error).
import type { Logger } from '@band/api';

export interface LineLogger extends Logger {
  /** Writes what is buffered now. Called by itself on the next turn of the event loop, and on process exit. */
  flush(): void;
  /** Flushes, and stops flushing at exit (the server closed). Lines logged later are still written. */
  close(): void;
}

// One exit handler for every logger of the process (tests start many servers).
const unflushed = new Set<() => void>();
let exitHook = false;

export interface LineLoggerOptions {
  /** @default process.stdout */
  out?: NodeJS.WritableStream;
  /** @default process.stderr */
  err?: NodeJS.WritableStream;
}

/**
 * Batches lines: every line logged during one turn of the event loop goes out in one write, at the next
 * `setImmediate`. On Linux a write to a pipe, a file or a terminal is synchronous, and the gate logs a line per
 * request, so writing each line at once put a system call in every request's path (issue 21: about a tenth of the
 * server's CPU under load). It writes to the streams directly: Next wraps `console` (dimming, exit handling), which
 * cost as much again. Nothing is dropped or sampled; what is buffered at exit is written synchronously.
 */
export function createLineLogger(options: LineLoggerOptions = {}): LineLogger {
  const out = options.out ?? process.stdout;
  const err = options.err ?? process.stderr;
  const pending = { out: [] as string[], err: [] as string[] };
  let scheduled: NodeJS.Immediate | undefined;

  const flush = () => {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    if (pending.out.length > 0) out.write(`${pending.out.splice(0).join('\n')}\n`);
    if (pending.err.length > 0) err.write(`${pending.err.splice(0).join('\n')}\n`);
  };
  const push = (stream: 'out' | 'err', line: string) => {
    pending[stream].push(line);
    // unref: a line waiting to be written never keeps the process alive; exit flushes it.
    scheduled ??= setImmediate(flush).unref();
  };
  unflushed.add(flush);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', () => {
      for (const fn of unflushed) fn();
    });
  }

  return {
    debug: () => {},
    info: (line) => push('out', line),
    warn: (line) => push('err', line),
    error: (line) => push('err', line),
    flush,
    close() {
      flush();
      unflushed.delete(flush);
    },
  };
}
