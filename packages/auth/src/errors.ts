// The one error class of @band/auth. Messages never contain a token, cookie, code or query string.
import { BandError, type BandErrorOptions } from '@band/internal';

export type AuthErrorCode =
  /** A pairing code for the tunnel was asked for while no tunnel runs. */
  | 'NO_TUNNEL'
  /** The gate was used after `close()`. */
  | 'CLOSED'
  /** `verifyServer` (@band/auth/client): the process on the port did not prove it holds the token; it was not sent. */
  | 'SERVER_UNVERIFIED';

/** Why `verifyServer` refused a server (`AuthError.reason`), so clients can word their own hint. */
export type HelloFailure =
  /** No answer to `/auth/hello` within the timeout. */
  | 'NO_ANSWER'
  /** `/auth/hello` answered 404: an older Band server, or not Band. */
  | 'NO_HELLO'
  /** Another HTTP status than 200. */
  | 'HTTP_STATUS'
  /** The answer is not Band's (not JSON, no 64-hex proof). */
  | 'NOT_BAND'
  /** A v1 proof, which does not bind the connection's address. */
  | 'OLD_PROOF'
  /** A proof valid for another address than the one connected to: something relays to the real Band. */
  | 'RELAYED'
  /** The proof does not match the token: another Band home, or not Band. */
  | 'WRONG_PROOF';

export interface AuthErrorOptions extends BandErrorOptions {
  /** What the user can do about it: every auth error has one. */
  hint: string;
  /** Why `verifyServer` refused the server (`SERVER_UNVERIFIED`). */
  reason?: HelloFailure;
}

export class AuthError extends BandError<AuthErrorCode, AuthErrorOptions> {
  override readonly name = 'AuthError';
  declare readonly hint: string;
  /** Set for `SERVER_UNVERIFIED`. */
  declare readonly reason: HelloFailure | undefined;
}

export function noTunnel(): AuthError {
  return new AuthError('NO_TUNNEL', 'Cannot create a pairing code for the tunnel: no tunnel is running.', {
    hint: 'start the tunnel first (`band tunnel start`)',
  });
}

export function gateClosed(): AuthError {
  return new AuthError('CLOSED', 'The gate is closed.', { hint: 'create a new gate' });
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
  | 'TOO_MANY_SOCKETS'
  /** The gate is closed (the server is shutting down): 503. */
  | 'CLOSED'
  /** A step threw: 500, with an id that the server's log line also has. */
  | 'INTERNAL';
