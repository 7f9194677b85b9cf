import { homedir } from 'node:os';
import type { Principal } from '@band/auth';
import { isLocalOnlySetting, redactSettings, SettingsError, type Settings, type SettingsStore } from '@band/settings';
import { BandApiError } from '../errors.js';

export interface SettingsService {
  /** The settings with the token redacted: APIs never return the token (auth.md §3.1). */
  get(): Settings;
  /**
   * Sets one field by dotted path, validated by the settings schema. A remote principal (the tunnel) may set only
   * the keys of `remoteSettableKeys` and is shown errors without absolute paths; no principal means in-process.
   */
  set(path: string, value: unknown, principal?: Principal): Promise<Settings>;
}

export function createSettingsService(deps: { settings: SettingsStore }): SettingsService {
  return {
    get: () => redactSettings(deps.settings.get()),
    async set(path, value, principal) {
      if (path === 'tokenSecret') {
        // Rotation is "delete the field and restart" (band-docs §2.2); a token typed into an API could be logged.
        throw new BandApiError('FORBIDDEN', 'tokenSecret cannot be set through the API', {
          hint: 'Delete tokenSecret from settings.json and restart the server to rotate it.',
        });
      }
      const isRemote = principal !== undefined && principal.listener !== 'local';
      if (isRemote && isLocalOnlySetting(path)) {
        // A phone may change what the dashboard shows, never which programs run, on which port, through which
        // tunnel, or where worktrees are created and deleted (issue 16, finding 6).
        throw new BandApiError('FORBIDDEN', `"${path.slice(0, 200)}" can only be changed on the computer running Band`, {
          reason: 'LOCAL_ONLY_SETTING',
          hint: 'Settings that choose programs, ports, the tunnel, the token or the worktrees directory are local-only: change them in the dashboard or with `band settings set` on that computer.',
        });
      }
      try {
        return redactSettings(await deps.settings.set(path, value));
      } catch (error) {
        // Where Band lives on disk is for this machine's eyes: a remote client gets the same error, path-free.
        if (isRemote && error instanceof SettingsError) {
          const shown = error.withoutPaths(deps.settings.home, homedir());
          throw new BandApiError('INVALID_INPUT', shown.problem, { hint: shown.hint, reason: error.code });
        }
        throw error;
      }
    },
  };
}
