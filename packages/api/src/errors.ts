import { TRPCError } from '@trpc/server';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server/rpc';

/** Every failure a Band service reports, as a closed union. Mapped to tRPC codes in one place. */
export type BandApiErrorCode =
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CONFLICT'
  | 'PRECONDITION_FAILED'
  | 'FORBIDDEN'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export interface BandApiErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
  /** Machine-readable detail, e.g. `WORKSPACE_EXISTS`. */
  reason?: string;
}

/** The one error class of @band/api services. Messages never contain tokens, cookies or query strings. */
export class BandApiError extends Error {
  override readonly name = 'BandApiError';
  readonly code: BandApiErrorCode;
  readonly hint?: string;
  readonly reason?: string;
  constructor(code: BandApiErrorCode, message: string, options: BandApiErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.reason = options.reason;
  }
}

const TRPC_CODES: Record<BandApiErrorCode, TRPC_ERROR_CODE_KEY> = {
  NOT_FOUND: 'NOT_FOUND',
  INVALID_INPUT: 'BAD_REQUEST',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  FORBIDDEN: 'FORBIDDEN',
  UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

/** Maps any thrown value to a TRPCError, keeping the BandApiError as `cause` (its hint reaches the client). */
export function toTRPCError(error: unknown): TRPCError {
  if (error instanceof TRPCError) return error;
  if (error instanceof BandApiError) {
    return new TRPCError({ code: TRPC_CODES[error.code], message: error.message, cause: error });
  }
  // Errors of other Band packages carry `code` + `hint`; their message is safe to show, the code is not ours.
  if (error instanceof Error && typeof (error as { hint?: unknown }).hint === 'string') {
    return new TRPCError({ code: 'BAD_REQUEST', message: error.message, cause: error });
  }
  return new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'Internal error', cause: error });
}

export const notFound = (what: string, id: string) =>
  new BandApiError('NOT_FOUND', `${what} not found: ${id}`, { reason: `${what.toUpperCase().replace(/\s+/g, '_')}_NOT_FOUND` });
