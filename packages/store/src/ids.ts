import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `prefix_` + 12 random lowercase alphanumerics (about 62 bits), e.g. `ws_k3j9x0a1b2c3`. */
export function newId(prefix: 'prj' | 'ws' | 'chat' | 'turn' | (string & {})): string {
  const bytes = randomBytes(12);
  let out = `${prefix}_`;
  // 252 = 7 * 36: rejection would be exact, but a 1.6% bias over 12 chars is harmless for ids.
  for (const byte of bytes) out += ALPHABET[byte % ALPHABET.length];
  return out;
}

/** Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'`. */
export function likePrefix(prefix: string): string {
  return `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
