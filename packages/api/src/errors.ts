import type { AgentErrorCode } from '@band/agents';
import type { AuthErrorCode } from '@band/auth';
import { BandError, type BandErrorOptions } from '@band/internal';
import type { SettingsErrorCode } from '@band/settings';
import type { StoreErrorCode } from '@band/store';
import type { TunnelErrorCode } from '@band/tunnel';
import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';
import type { TunnelCheckErrorCode } from './tunnel/tunnel-checks.js';

/** Every failure a Band service reports, as a closed union. Mapped to tRPC codes in one place. */
export type BandApiErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'TOO_LARGE'
  | 'INTERNAL';

export interface BandApiErrorOptions extends BandErrorOptions {
  /** Machine-readable detail, e.g. `WORKSPACE_EXISTS`. */
  reason?: string;
}

/** The one error class of @band/api services. Messages never contain tokens, cookies or query strings. */
export class BandApiError extends BandError<BandApiErrorCode, BandApiErrorOptions> {
  override readonly name = 'BandApiError';
  declare readonly reason: string | undefined;
}

const TRPC_CODES: Record<BandApiErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: 'NOT_FOUND',
  INVALID_INPUT: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** Maps any thrown value to a TRPCError, keeping the BandApiError as `cause` (its hint reaches the client). */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof BandApiError) {
    return new TRPCError({ code: TRPC_CODES[error.code], message: error.message, cause: error });
  }
  // Errors of Band's other packages: their message is safe to show, and their code says what kind of failure it is.
  const code = packageErrorCode(error);
  if (code) return new TRPCError({ code, message: (error as Error).message, cause: error });
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error', cause: error });
}

/**
 * Every code of Band's other packages, and what a client is told: its own mistake (4xx: fix the input or the
 * setup), or something this machine or Cloudflare cannot do now (5xx). Complete by type, so a new code in any
 * package fails the typecheck here until it has a row. (Before, any error with a hint was a 400: a tunnel that
 * cannot reach Cloudflare or a corrupt database reached the phone as BAD_REQUEST.)
 */
const PACKAGE_ERROR_CODES: {
  TunnelError: Record<TunnelErrorCode, TRPC_ERROR_CODE_KEY>;
  StoreError: Record<StoreErrorCode, TRPC_ERROR_CODE_KEY>;
  SettingsError: Record<SettingsErrorCode, TRPC_ERROR_CODE_KEY>;
  AgentError: Record<AgentErrorCode, TRPC_ERROR_CODE_KEY>;
  AuthError: Record<AuthErrorCode, TRPC_ERROR_CODE_KEY>;
  TunnelCheckError: Record<TunnelCheckErrorCode, TRPC_ERROR_CODE_KEY>;
  /** @band/server's, thrown through `openTunnelListener` (a type from there would point upward). */
  ServerStartError: Record<
    'PORT_IN_USE' | 'ORIGIN_PORT_IN_USE' | 'LISTEN_FAILED' | 'NEXT_BUILD_MISSING',
    TRPC_ERROR_CODE_KEY
  >;
} = {
  TunnelError: {
    // The setup on this computer needs fixing (install, settings, token, credentials).
    BINARY_NOT_FOUND: 'PRECONDITION_FAILED',
    BINARY_NOT_EXECUTABLE: 'PRECONDITION_FAILED',
    UNSUPPORTED_VERSION: 'PRECONDITION_FAILED',
    USAGE: 'PRECONDITION_FAILED',
    CONFIG_ERROR: 'PRECONDITION_FAILED',
    AUTH_FAILED: 'PRECONDITION_FAILED',
    CREDENTIALS_INVALID: 'PRECONDITION_FAILED',
    METRICS_BIND_FAILED: 'PRECONDITION_FAILED',
    // Cloudflare or the network: try again later.
    RATE_LIMITED: 'TOO_MANY_REQUESTS',
    QUICK_TUNNEL_BUDGET: 'TOO_MANY_REQUESTS',
    QUICK_SERVICE_ERROR: 'BAD_GATEWAY',
    OFFLINE: 'SERVICE_UNAVAILABLE',
    EDGE_UNREACHABLE: 'SERVICE_UNAVAILABLE',
    READY_TIMEOUT: 'GATEWAY_TIMEOUT',
    TIMEOUT: 'GATEWAY_TIMEOUT',
    UPDATED: 'SERVICE_UNAVAILABLE',
    CRASHED: 'INTERNAL_SERVER_ERROR',
    // Someone stopped it while this call waited.
    STOPPED: 'CONFLICT',
  },
  StoreError: {
    DATABASE_CORRUPT: 'INTERNAL_SERVER_ERROR',
    DATABASE_TOO_NEW: 'PRECONDITION_FAILED',
    OPEN_FAILED: 'INTERNAL_SERVER_ERROR',
    MIGRATION_FAILED: 'INTERNAL_SERVER_ERROR',
    DATABASE_BUSY: 'SERVICE_UNAVAILABLE',
    DISK_FULL: 'SERVICE_UNAVAILABLE',
    CONFLICT: 'CONFLICT',
    REFERENCE_MISSING: 'NOT_FOUND',
    STORE_CLOSED: 'SERVICE_UNAVAILABLE',
  },
  SettingsError: {
    // A value the caller sent.
    INVALID_FIELD: 'BAD_REQUEST',
    UNKNOWN_KEY: 'BAD_REQUEST',
    MALFORMED_TOKEN: 'BAD_REQUEST',
    // settings.json on disk needs a hand fix first.
    INVALID_JSON: 'PRECONDITION_FAILED',
    MISSING_TOKEN: 'PRECONDITION_FAILED',
    WRONG_OWNER: 'PRECONDITION_FAILED',
    NOT_A_FILE: 'PRECONDITION_FAILED',
    LOCK_TIMEOUT: 'CONFLICT',
    IO: 'INTERNAL_SERVER_ERROR',
  },
  AgentError: {
    CLI_NOT_FOUND: 'PRECONDITION_FAILED',
    SPAWN_FAILED: 'INTERNAL_SERVER_ERROR',
    INVALID_OPTIONS: 'BAD_REQUEST',
  },
  AuthError: {
    NO_TUNNEL: 'PRECONDITION_FAILED',
    CLOSED: 'SERVICE_UNAVAILABLE',
    SERVER_UNVERIFIED: 'PRECONDITION_FAILED',
  },
  TunnelCheckError: {
    ORIGIN_PORT_IN_USE: 'CONFLICT',
    HOSTNAME_NOT_ROUTED: 'PRECONDITION_FAILED',
    NAMED_TUNNEL_INCOMPLETE: 'PRECONDITION_FAILED',
  },
  ServerStartError: {
    PORT_IN_USE: 'CONFLICT',
    ORIGIN_PORT_IN_USE: 'CONFLICT',
    LISTEN_FAILED: 'INTERNAL_SERVER_ERROR',
    NEXT_BUILD_MISSING: 'PRECONDITION_FAILED',
  },
};

/** The tRPC code for an error of another Band package (by its class name and code), if it is one. */
export function packageErrorCode(error: unknown): TRPC_ERROR_CODE_KEY | undefined {
  if (!(error instanceof Error)) return undefined;
  const table = (PACKAGE_ERROR_CODES as Record<string, Record<string, TRPC_ERROR_CODE_KEY>>)[error.name];
  const code = (error as { code?: unknown }).code;
  if (table && typeof code === 'string' && Object.hasOwn(table, code)) return table[code];
  // A Band error this table does not know (an older or newer package): its message and hint are still meant for
  // the user, so say it failed without calling it the caller's mistake.
  if (typeof (error as { hint?: unknown }).hint === 'string') return 'INTERNAL_SERVER_ERROR';
  return undefined;
}

export const notFound = (what: string, id: string) =>
  new BandApiError('NOT_FOUND', `${what} not found: ${id}`, {
    reason: `${what.toUpperCase().replace(/\s+/g, '_')}_NOT_FOUND`,
  });
