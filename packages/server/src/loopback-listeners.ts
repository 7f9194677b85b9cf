// The local listener on BOTH loopbacks (issue 16 #1). Listening on 127.0.0.1 alone leaves [::1]:<port> free for any
// local user, and with the usual `::1 localhost` hosts entry, browsers and clients that try ::1 first would hand that
// process the `band_sess_<port>` cookie and the CLI's bearer token. So Band holds both, or does not start.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BandError } from '@band/internal';

/**
 * Why the loopback listeners could not be opened. `IPV4_IN_USE`: 127.0.0.1:<port> is taken. `IPV6_IN_USE`:
 * [::1]:<port> is taken. `FAILED`: anything else.
 */
export type LoopbackListenErrorCode = 'IPV4_IN_USE' | 'IPV6_IN_USE' | 'FAILED';

export class LoopbackListenError extends BandError<LoopbackListenErrorCode, { port: number }> {
  override readonly name = 'LoopbackListenError';
  declare readonly port: number;
}

export interface LoopbackListeners {
  port: number;
  /** The servers actually listening: 127.0.0.1 first, then [::1] when the machine has an IPv6 loopback. */
  servers: Server[];
  /** Whether [::1]:<port> is ours (false only when the machine has no IPv6 loopback: nobody can bind it then). */
  hasIpv6: boolean;
  /**
   * The local origins a browser can use, in order of preference: `http://127.0.0.1:<port>` (what Band prints and
   * opens), `http://[::1]:<port>` when bound, and `http://localhost:<port>` (every address it may resolve to is
   * ours, or cannot be bound by anyone). Each host name has its own cookie jar (the 431 page lists them).
   */
  origins: string[];
}

/** Errors that mean "this machine has no usable IPv6 loopback": fine, nobody else can listen there either. */
const NO_IPV6 = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT']);

/** How many ephemeral ports to try when `port` is 0 and the one picked for 127.0.0.1 is taken on [::1]. */
const EPHEMERAL_ATTEMPTS = 8;

function listenOn(server: Server, options: { port: number; host: string; ipv6Only?: boolean }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function closeQuietly(server: Server): Promise<void> {
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

/**
 * Listens on `127.0.0.1:<port>` with `ipv4` and on `[::1]:<port>` with a server from `createIpv6()`. Rejects with a
 * `LoopbackListenError` when either address is taken (nothing stays open then). With port 0 both get the same free
 * port (retrying when the one picked for IPv4 is taken on IPv6).
 */
export async function listenOnLoopbacks(
  ipv4: Server,
  createIpv6: () => Server,
  port: number,
): Promise<LoopbackListeners> {
  for (let attempt = 0; ; attempt++) {
    try {
      await listenOn(ipv4, { port, host: '127.0.0.1' });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new LoopbackListenError(
        code === 'EADDRINUSE' ? 'IPV4_IN_USE' : 'FAILED',
        code === 'EADDRINUSE'
          ? `127.0.0.1:${port} is already in use`
          : `Could not listen on 127.0.0.1:${port}: ${(error as Error).message}`,
        { port, cause: error },
      );
    }
    const actual = (ipv4.address() as AddressInfo).port;
    const ipv6 = createIpv6();
    try {
      // ipv6Only: [::1] only, never the IPv4-mapped space (127.0.0.1 is the other server's).
      await listenOn(ipv6, { port: actual, host: '::1', ipv6Only: true });
      return { port: actual, servers: [ipv4, ipv6], hasIpv6: true, origins: originsFor(actual, true) };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (NO_IPV6.has(code))
        return { port: actual, servers: [ipv4], hasIpv6: false, origins: originsFor(actual, false) };
      await closeQuietly(ipv4);
      if (code === 'EADDRINUSE' && port === 0 && attempt + 1 < EPHEMERAL_ATTEMPTS) continue;
      throw new LoopbackListenError(
        code === 'EADDRINUSE' ? 'IPV6_IN_USE' : 'FAILED',
        code === 'EADDRINUSE'
          ? `[::1]:${actual} is already in use by another process`
          : `Could not listen on [::1]:${actual}: ${(error as Error).message}`,
        { port: actual, cause: error },
      );
    }
  }
}

export function originsFor(port: number, hasIpv6: boolean): string[] {
  return [`http://127.0.0.1:${port}`, ...(hasIpv6 ? [`http://[::1]:${port}`] : []), `http://localhost:${port}`];
}
