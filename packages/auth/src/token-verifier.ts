import { createHash, timingSafeEqual } from 'node:crypto';
import { TOKEN_PATTERN } from './policy.js';

export interface TokenVerifier {
  /** Format check first, then `timingSafeEqual(sha256(presented), sha256(secret))`: fixed-length, never throws. */
  verify(presented: string): boolean;
}

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** Keeps only `sha256(secret)` in memory. */
export function createTokenVerifier(secret: string): TokenVerifier {
  const digest = sha256(secret);
  return {
    verify(presented) {
      if (typeof presented !== 'string' || !TOKEN_PATTERN.test(presented)) return false;
      return timingSafeEqual(sha256(presented), digest);
    },
  };
}
