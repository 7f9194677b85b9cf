// The server's proof of identity for the CLI (auth.md §3.11, F11): `GET /auth/hello?n=<nonce>` answers
// HMAC(K_proof, nonce, host, local address), so the CLI can check it talks to *its* Band, on the very address it
// connected to, before it sends the bearer token.
import { createHmac, hkdfSync } from 'node:crypto';
import { isIPv6 } from 'node:net';

/** A nonce the endpoint accepts: 32–128 hex characters (the CLI sends 64: 32 random bytes). */
export const HELLO_NONCE_PATTERN = /^[0-9a-f]{32,128}$/i;

/** The version of the proof message; `/auth/hello` answers it as `v` so a client can tell an older server apart. */
export const HELLO_PROOF_VERSION = 2;

/**
 * `K_proof = HKDF-SHA256(tokenSecret, info="band/hello/v1")`: independent of the cookie key; a new token changes it.
 */
export function deriveProofKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(tokenSecret, 'utf8'), Buffer.alloc(0), 'band/hello/v1', 32));
}

/**
 * One socket address as the proof names it: `127.0.0.1:3456`, `[::1]:3456`. IPv4-mapped IPv6 (`::ffff:127.0.0.1`)
 * is written as IPv4, so a dual-stack socket and the client agree. Empty when there is no address (a Unix socket).
 */
export function formatSocketAddress(address: string | undefined, port: number | undefined): string {
  if (!address || port === undefined) return '';
  let a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (mapped) a = mapped[1]!;
  return isIPv6(a) ? `[${a}]:${port}` : `${a}:${port}`;
}

/**
 * The proof `/auth/hello` answers: hex(HMAC-SHA256(K_proof, "band/hello/v2" ‖ 0x00 ‖ nonce ‖ 0x00 ‖ host ‖ 0x00 ‖
 * local)), with the nonce lowercased, `host` the Host header as sent (lowercased, port included, e.g.
 * `127.0.0.1:3456`) and `local` the server's own end of the TCP connection as the server's socket sees it
 * (`formatSocketAddress(req.socket.localAddress, req.socket.localPort)`).
 *
 * `local` is what stops a relay (issue 16 #1): a squatter on `[::1]:3456` that forwards the CLI's nonce to the real
 * server on `127.0.0.1:3456` gets a proof for `127.0.0.1:3456`, while the CLI checks it for `[::1]:3456`, the address
 * it connected to. Pure: the CLI calls it with its own token, the Host it sent and its peer address.
 */
export function computeHelloProof(tokenSecret: string, nonce: string, host: string, local: string): string {
  return helloProof(deriveProofKey(tokenSecret), nonce, host, local);
}

/** The same proof from an already derived key (the gate derives it once per token). */
export function helloProof(key: Buffer, nonce: string, host: string, local: string): string {
  return createHmac('sha256', key)
    .update(
      `band/hello/v${HELLO_PROOF_VERSION}\0${nonce.toLowerCase()}\0${host.toLowerCase()}\0${local.toLowerCase()}`,
      'utf8',
    )
    .digest('hex');
}
