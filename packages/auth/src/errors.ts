// The one error class of @band/auth. Messages never contain a token, cookie, code or query string.

export type AuthErrorCode = 'NO_TUNNEL' | 'CLOSED';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly code: AuthErrorCode,
    message: string,
    readonly hint: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function noTunnel(): AuthError {
  return new AuthError(
    'NO_TUNNEL',
    'Cannot create a pairing code for the tunnel: no tunnel is running.',
    'start the tunnel first (`band tunnel start`)',
  );
}

export function gateClosed(): AuthError {
  return new AuthError('CLOSED', 'The gate is closed.', 'create a new gate');
}

/** Stable reasons for a refused request (logged; also the `error` field of JSON answers). */
export type RejectReason =
  | 'BAD_REQUEST'
  | 'URL_TOO_LONG'
  | 'HEADERS_TOO_LARGE'
  | 'BODY_TOO_LARGE'
  | 'HOST_NOT_ALLOWED'
  | 'HOST_MISSING'
  | 'PREFLIGHT_REFUSED'
  | 'NO_CREDENTIALS'
  | 'BAD_TOKEN'
  | 'BAD_AUTH_HEADER'
  | 'BAD_COOKIE'
  | 'QUERY_TOKEN_NOT_ALLOWED'
  | 'DUPLICATE_TOKEN_PARAM'
  | 'BAD_PAIRING_CODE'
  | 'RATE_LIMITED'
  | 'ORIGIN_MISMATCH'
  | 'ORIGIN_MISSING'
  | 'CROSS_SITE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'TOO_MANY_SOCKETS';
