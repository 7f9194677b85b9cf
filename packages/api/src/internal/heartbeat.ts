import type { WebSocket } from 'ws';

/**
 * Pings the peer every `intervalMs` and terminates it if the previous ping got no pong: Cloudflare drops idle
 * connections near 100 s (DESIGN §3), and a phone that vanished never sends a close frame.
 * Returns a stop function (also called automatically on close).
 */
export function applyHeartbeat(ws: WebSocket, intervalMs: number): () => void {
  let isAlive = true;
  const onPong = () => {
    isAlive = true;
  };
  ws.on('pong', onPong);
  const timer = setInterval(() => {
    if (!isAlive) {
      ws.terminate();
      return;
    }
    isAlive = false;
    try {
      ws.ping();
    } catch {
      ws.terminate();
    }
  }, intervalMs);
  timer.unref();
  const stop = () => {
    clearInterval(timer);
    ws.off('pong', onPong);
  };
  ws.once('close', stop);
  return stop;
}
