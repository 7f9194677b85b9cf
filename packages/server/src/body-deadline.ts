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
  // A request without a body (most of them: GETs, WebSocket upgrades) has nothing to wait for and costs no timer.
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || req.complete) return;
  const socket = req.socket;
  const started = Date.now();
  let lastBytes = socket.bytesRead;
  let lastProgress = started;
  const timer = setInterval(() => {
    if (req.complete || socket.destroyed) return stop();
    const now = Date.now();
    if (socket.bytesRead !== lastBytes) {
      lastBytes = socket.bytesRead;
      lastProgress = now;
    }
    const late = isUpload
      ? now - lastProgress >= options.uploadIdleTimeoutMs || now - started >= options.uploadTimeoutMs
      : now - started >= options.requestTimeoutMs;
    if (!late) return;
    stop();
    if (!res.headersSent) {
      res.writeHead(408, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(isUpload ? 'The upload stopped sending: try again.\n' : 'The request was not received in time.\n');
    }
    // The body will not be read to its end: drop the connection rather than wait for it.
    setImmediate(() => socket.destroy());
  }, CHECK_EVERY_MS);
  timer.unref();
  const stop = () => clearInterval(timer);
  res.once('close', stop);
}
