// Public face of @band/settings: every export is listed by hand, grouped by topic.

// Contract
export type { CodingAgentConfig, Settings, TunnelSettings } from './types.js';

// Home directory
export { resolveBandHome } from './home.js';

// Loading, writing, watching
export { loadSettings } from './load-settings.js';
export type { LoadSettingsOptions, SettingsEvents, SettingsLogger, SettingsStore } from './load-settings.js';

// Schema
export {
  settingsSchema,
  codingAgentConfigSchema,
  tunnelSettingsSchema,
  settingsKeys,
  remoteSettableKeys,
  isLocalOnlySetting,
  TOKEN_SECRET_PATTERN,
  DEFAULT_TUNNEL_ORIGIN_PORT,
} from './schema.js';

// Token
export { generateTokenSecret, isTokenSecret, readTokenSecret } from './token.js';
export { redactSettings, REDACTED_TOKEN } from './redact.js';

// Files (shared with @band/auth for sessions.json)
export { writeFileAtomic } from './internal/atomic-write.js';
export type { WriteFileAtomicOptions } from './internal/atomic-write.js';

// Errors
export { SettingsError } from './errors.js';
export type { SettingsErrorCode } from './errors.js';
