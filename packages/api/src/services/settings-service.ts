import { redactSettings, type Settings, type SettingsStore } from '@band/settings';
import { BandApiError } from '../errors.js';

export interface SettingsService {
  /** The settings with the token redacted: APIs never return the token (auth.md §3.1). */
  get(): Settings;
  /** Sets one field by dotted path, validated by the settings schema. */
  set(path: string, value: unknown): Promise<Settings>;
}

export function createSettingsService(deps: { settings: SettingsStore }): SettingsService {
  return {
    get: () => redactSettings(deps.settings.get()),
    async set(path, value) {
      if (path === 'tokenSecret') {
        // Rotation is "delete the field and restart" (band-docs §2.2); a token typed into an API could be logged.
        throw new BandApiError('FORBIDDEN', 'tokenSecret cannot be set through the API', {
          hint: 'Delete tokenSecret from settings.json and restart the server to rotate it.',
        });
      }
      return redactSettings(await deps.settings.set(path, value));
    },
  };
}
