import type { IncomingMessage, ServerResponse } from 'node:http';

export interface BodyDeadlineOptions {
  /** A request that is not an upload must be received whole within this time. */
  requestTimeoutMs: number;
  /** An upload may take as long as it keeps sending: it is cut after this long without a byte. */
  uploadIdleTimeoutMs: number;
  /** …and after this long in all. */
  uploadTimeoutMs: number;
}

const CHECK_EVERY_MS = 250;

interface Pending {
  req: IncomingMessage;
  res: ServerResponse;
  isUpload: boolean;
  options: BodyDeadlineOptions;
  started: number;
  lastBytes: number;
  lastProgress: number;
}

// Every request still receiving its body, checked by one timer for the whole process: a timer and a `close` listener
// per request were a measurable part of each API write (issue 21). A request leaves the set at the first check after
// its body arrived or its socket closed.
const pending = new Set<Pending>();
let sweeper: NodeJS.Timeout | undefined;

function sweep(): void {
  const now = Date.now();
  for (const entry of pending) {
    const { req, res, isUpload, options } = entry;
    const socket = req.socket;
    if (req.complete || socket.destroyed || res.writableEnded) {
      pending.delete(entry);
      continue;
    }
    if (socket.bytesRead !== entry.lastBytes) {
      entry.lastBytes = socket.bytesRead;
      entry.lastProgress = now;
    }
    const late = isUpload
      ? now - entry.lastProgress >= options.uploadIdleTimeoutMs || now - entry.started >= options.uploadTimeoutMs
      : now - entry.started >= options.requestTimeoutMs;
    if (!late) continue;
    pending.delete(entry);
    if (!res.headersSent) {
      res.writeHead(408, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(isUpload ? 'The upload stopped sending: try again.\n' : 'The request was not received in time.\n');
    }
    // The body will not be read to its end: drop the connection rather than wait for it.
    setImmediate(() => socket.destroy());
  }
  if (pending.size === 0) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/**
 * Cuts a request whose body does not arrive in time. Node's own `requestTimeout` is one limit for every request of a
 * server, and the one that stops a slow body (slowloris) for a JSON call would cut a phone's 20 MiB photo on a slow
 * uplink (5 Mbit/s needs 34 s). So Node's limit is the upload's whole bound, and this applies the tighter one to the
 * rest; an upload is cut only when it stalls. Reads only `req.complete` and the socket's byte count: the body stream
 * is left to its consumer.
 */
export function enforceBodyDeadline(
  req: IncomingMessage,
  res: ServerResponse,
  isUpload: boolean,
  options: BodyDeadlineOptions,
): void {
  // A request without a body (most of them: GETs, WebSocket upgrades) has nothing to wait for.
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || req.complete) return;
  const started = Date.now();
  pending.add({ req, res, isUpload, options, started, lastBytes: req.socket.bytesRead, lastProgress: started });
  if (!sweeper) {
    sweeper = setInterval(sweep, CHECK_EVERY_MS);
    sweeper.unref();
  }
}
