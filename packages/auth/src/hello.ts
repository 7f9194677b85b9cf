// The server's proof of identity for the CLI (auth.md §3.11, F11): `GET /auth/hello?n=<nonce>` answers
// HMAC(K_proof, nonce, host), so the CLI can check it talks to *its* Band before it sends the bearer token.
import { createHmac, hkdfSync } from 'node:crypto';

/** A nonce the endpoint accepts: 32–128 hex characters (the CLI sends 64: 32 random bytes). */
export const HELLO_NONCE_PATTERN = /^[0-9a-f]{32,128}$/i;

/** `K_proof = HKDF-SHA256(tokenSecret, info="band/hello/v1")`: independent of the cookie key; a new token changes it. */
export function deriveProofKey(tokenSecret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(tokenSecret, 'utf8'), Buffer.alloc(0), 'band/hello/v1', 32));
}

/**
 * The proof `/auth/hello` answers: hex(HMAC-SHA256(K_proof, "band/hello/v1" ‖ 0x00 ‖ nonce ‖ 0x00 ‖ host)), with the
 * nonce lowercased and `host` the Host header as sent (lowercased, port included, e.g. `127.0.0.1:3456`). Pure:
 * the CLI calls it with its own token and the Host it sent, and compares in constant time.
 */
export function computeHelloProof(tokenSecret: string, nonce: string, host: string): string {
  return helloProof(deriveProofKey(tokenSecret), nonce, host);
}

/** The same proof from an already derived key (the gate derives it once per token). */
export function helloProof(key: Buffer, nonce: string, host: string): string {
  return createHmac('sha256', key).update(`band/hello/v1\0${nonce.toLowerCase()}\0${host.toLowerCase()}`, 'utf8').digest('hex');
}
