import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidJson, ioError, malformedToken, missingToken } from './errors.js';
import { TOKEN_SECRET_PATTERN } from './schema.js';

/** A fresh token: 32 random bytes as 64 lowercase hex characters. */
export function generateTokenSecret(): string {
  return randomBytes(32).toString('hex');
}

/** True for exactly 64 lowercase hex characters. */
export function isTokenSecret(value: unknown): value is string {
  return typeof value === 'string' && TOKEN_SECRET_PATTERN.test(value);
}

/**
 * Reads `tokenSecret` from `<home>/settings.json` (for the CLI). Trims surrounding whitespace, then validates.
 * @throws SettingsError MISSING_TOKEN, MALFORMED_TOKEN, INVALID_JSON or IO
 */
export async function readTokenSecret(home: string): Promise<string> {
  const file = join(home, 'settings.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'ENOENT') throw missingToken(file);
    throw ioError(file, cause);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (cause) {
    throw invalidJson(file, cause);
  }
  const value = raw && typeof raw === 'object' ? (raw as Record<string, unknown>).tokenSecret : undefined;
  if (value === undefined) throw missingToken(file);
  const token = typeof value === 'string' ? value.trim() : value;
  if (!isTokenSecret(token)) throw malformedToken(file);
  return token;
}
