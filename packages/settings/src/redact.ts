import type { Settings } from './types.js';

/** Marker that replaces the token in anything an API returns. */
export const REDACTED_TOKEN = '[redacted]';

/** A copy of the settings with `tokenSecret` replaced by a marker. APIs return this, never the token. */
export function redactSettings(settings: Settings): Settings {
  return { ...settings, tokenSecret: REDACTED_TOKEN };
}
