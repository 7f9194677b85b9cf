// Contract of @band/auth used by the server composition (apps/dashboard/server.ts) and @band/api.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

/** Which listener a connection arrived on. "Remote" is a property of the connection, never of a header. */
export type ListenerKind = 'local' | 'tunnel';

/** Who made an authenticated request. */
export interface Principal {
  /** `root`: the bearer token (CLI). `session`: a browser session cookie. */
  kind: 'root' | 'session';
  listener: ListenerKind;
  /** Set for `session` principals. */
  sessionId?: string;
}

/** A signed-in browser session, as listed in the Mobile Access panel. */
export interface Device {
  id: string;
  listener: ListenerKind;
  /** Short user-agent summary, e.g. "Chrome on Android". */
  label: string;
  createdAt: number;
  lastSeenAt: number;
  /** CF-Connecting-IP for tunnel sessions. */
  address?: string;
}

/** Anything the gate can close when its session is revoked (a ws WebSocket fits). */
export interface ClosableSocket {
  close(code?: number, reason?: string): void;
}

/** A one-time pairing code for the QR code / `band open`. */
export interface PairingCode {
  code: string;
  /** Epoch ms. */
  expiresAt: number;
  /** Absolute URL that redeems it: `<origin>/pair#c=<code>`. */
  url: string;
}

/**
 * The gate: installed in the server's own `request` and `upgrade` listeners, before Next and tRPC.
 * It owns the unauthenticated surface: the sign-in page, `/pair`, `POST /auth/pair`, `POST /auth/login`,
 * `POST /auth/logout`, and the `?token=` exchange.
 */
export interface Gate {
  /**
   * Runs the request pipeline. Sets the security headers on `res` in every case.
   * Returns the principal when the caller should route the request; returns `undefined` when the gate
   * has already answered it (rejection, redirect, sign-in page, an /auth endpoint).
   */
  handleRequest(req: IncomingMessage, res: ServerResponse, listener: ListenerKind): Promise<Principal | undefined>;
  /**
   * `handleRequest` without its promise: the same pipeline, answered synchronously when no step has to wait (every
   * request but the gate's own `/auth` endpoints, which read a body), else a promise. A server's request listener
   * uses it so that an API call creates no promise before it reaches the API (issue 21: each promise costs more
   * while an `AsyncLocalStorage` is in use, and Next uses them).
   */
  checkRequest(
    req: IncomingMessage,
    res: ServerResponse,
    listener: ListenerKind,
  ): Principal | undefined | Promise<Principal | undefined>;
  /**
   * Runs the upgrade pipeline (strict Origin, path allowlist). On rejection writes a status line and destroys
   * the socket, then returns `undefined`.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, listener: ListenerKind): Promise<Principal | undefined>;
  /** The principal recorded for a request the gate accepted (used by tRPC createContext). */
  principalOf(req: IncomingMessage): Principal | undefined;
  /** Registers an open socket of a principal; it is closed (4401) on revoke, rotation or tunnel stop. */
  trackSocket(principal: Principal, socket: ClosableSocket): () => void;
  /**
   * The current tunnel hostname (allowlisted on the tunnel listener), or null. Null revokes every tunnel session; a
   * host revokes the tunnel sessions of any other host (sessions of that same host, e.g. a named tunnel's after a
   * server restart, stay valid).
   */
  setTunnelHost(host: string | null): void;
  /** Sets the local port whose Host names are allowed on the local listener. */
  setLocalPort(port: number): void;
  /** Mints a single-use pairing code for a listener's origin. */
  createPairingCode(listener: ListenerKind): PairingCode;
  listDevices(): Device[];
  /** Revokes one session and closes its sockets. @returns false if unknown. */
  revokeDevice(id: string): boolean;
  close(): Promise<void>;
}
