// Header and URL helpers shared by the tRPC client and the raw terminal sockets (no heavy imports).
import type { Connection } from './config.js';

/** Headers every request carries: the bearer token (if any) and the exact Origin the server expects. */
export function authHeaders(connection: Pick<Connection, 'serverUrl' | 'token'>): Record<string, string> {
  const headers: Record<string, string> = { origin: new URL(connection.serverUrl).origin };
  if (connection.token) headers.authorization = `Bearer ${connection.token}`;
  return headers;
}

export function wsUrl(serverUrl: string, path: string): string {
  const url = new URL(path, `${serverUrl}/`);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}
