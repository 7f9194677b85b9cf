// Where the gate gets its token. Band binds it to settings.json (`settingsTokenSource`); an embedder can pass
// any source: a fixed string, an environment variable, a secret manager.
import type { SettingsStore } from '@band/settings';
import { TOKEN_PATTERN } from './policy.js';

/** The root credential: 64 lowercase hex characters (32 random bytes). */
export interface TokenSource {
  /** The current token. */
  get(): string;
  /**
   * Calls `listener` with the new token whenever it changes, so the gate can sign every session out and close
   * every tracked socket. Returns an unsubscribe function. Optional: a fixed token never changes.
   */
  onChange?(listener: (token: string) => void): () => void;
}

function checked(token: string, from: string): string {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) {
    throw new TypeError(
      `${from}: a Band token is 64 lowercase hex characters (e.g. crypto.randomBytes(32).toString('hex'))`,
    );
  }
  return token;
}

/** A token that never changes. */
export function staticToken(token: string): TokenSource {
  const value = checked(token, 'staticToken');
  return { get: () => value };
}

/** Band's binding: `tokenSecret` from settings.json, followed as the file changes (a new token = rotation). */
export function settingsTokenSource(settings: SettingsStore): TokenSource {
  return {
    get: () => settings.get().tokenSecret,
    onChange(listener) {
      return settings.on('change', (next, prev) => {
        if (next.tokenSecret !== prev.tokenSecret) listener(next.tokenSecret);
      });
    },
  };
}

/** @internal Accepts what `createGate` takes: a source, or a plain token string. */
export function toTokenSource(token: string | TokenSource): TokenSource {
  if (typeof token === 'string') return staticToken(token);
  checked(token.get(), 'token source');
  return token;
}
