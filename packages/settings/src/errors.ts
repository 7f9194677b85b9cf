// The one error class of @band/settings, made by the factories below. Messages name the file, the field and the fix,
// and never contain a token value. The fix is the hint, never part of the message.
import { BandError, type BandErrorOptions } from '@band/internal';

export type SettingsErrorCode =
  | 'INVALID_JSON'
  | 'INVALID_FIELD'
  | 'MALFORMED_TOKEN'
  | 'MISSING_TOKEN'
  | 'WRONG_OWNER'
  | 'NOT_A_FILE'
  | 'LOCK_TIMEOUT'
  | 'UNKNOWN_KEY'
  | 'IO';

export interface SettingsErrorOptions extends BandErrorOptions {
  /** What the user can do about it: every settings error has one. */
  hint: string;
  /** The settings file (or BAND_HOME) the problem is in. */
  file: string;
  /** The field at fault, when it is one field. */
  field?: string;
}

export class SettingsError extends BandError<SettingsErrorCode, SettingsErrorOptions> {
  override readonly name = 'SettingsError';
  declare readonly hint: string;
  declare readonly file: string;
  declare readonly field: string | undefined;

  /**
   * The problem and the fix with no absolute path: every path under `home` is shown relative to it
   * (`settings.json`), `home` itself as `BAND_HOME`, and the user's home directory as `~`. For clients that must
   * not learn where Band lives on disk (a phone through the tunnel).
   */
  withoutPaths(home: string, userHome?: string): { problem: string; hint: string } {
    const scrub = (text: string) => hidePaths(text, home, userHome);
    return { problem: scrub(this.message), hint: scrub(this.hint) };
  }
}

function hidePaths(text: string, home: string, userHome: string | undefined): string {
  const trimmed = home.replace(/[\\/]+$/, '');
  let out = trimmed
    ? text.split(`${trimmed}/`).join('').split(`${trimmed}\\`).join('').split(trimmed).join('BAND_HOME')
    : text;
  const user = userHome?.replace(/[\\/]+$/, '');
  if (user) out = out.split(user).join('~');
  return out;
}

export function invalidJson(file: string, cause: unknown): SettingsError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new SettingsError(
    'INVALID_JSON',
    `${file} is not valid JSON (${detail}). Band will not start with a corrupt settings file.`,
    { file, hint: `repair the JSON in ${file} (or move it away to start with fresh settings and a new token)`, cause },
  );
}

export function invalidField(file: string, field: string, problem: string): SettingsError {
  return new SettingsError('INVALID_FIELD', `${file}: field "${field}" ${problem}.`, {
    file,
    field,
    hint: `correct "${field}" in ${file}, or delete the field to get its default`,
  });
}

export function malformedToken(file: string): SettingsError {
  return new SettingsError(
    'MALFORMED_TOKEN',
    `${file}: field "tokenSecret" must be 64 lowercase hex characters. Band never runs with a weak or empty token.`,
    {
      file,
      field: 'tokenSecret',
      hint: `delete the "tokenSecret" field from ${file} and restart Band to generate a new token`,
    },
  );
}

export function missingToken(file: string): SettingsError {
  return new SettingsError('MISSING_TOKEN', `${file} has no "tokenSecret".`, {
    file,
    field: 'tokenSecret',
    hint: 'start the Band server once (`band start`) to generate the token, or set BAND_TOKEN',
  });
}

export function wrongOwner(file: string, uid: number, owner: number): SettingsError {
  return new SettingsError(
    'WRONG_OWNER',
    `${file} is owned by uid ${owner}, not by the current user (uid ${uid}). Band refuses to trust it.`,
    { file, hint: `chown it to the current user (chown ${uid} "${file}") or set BAND_HOME to a directory you own` },
  );
}

export function notAFile(file: string): SettingsError {
  return new SettingsError('NOT_A_FILE', `${file} is not a regular file.`, {
    file,
    hint: `remove ${file} and restart Band`,
  });
}

export function lockTimeout(file: string, lockFile: string): SettingsError {
  return new SettingsError('LOCK_TIMEOUT', `Timed out waiting for the lock ${lockFile} on ${file}.`, {
    file,
    hint: `another Band process holds the lock; if none is running, delete ${lockFile}`,
  });
}

export function unknownKey(file: string, key: string): SettingsError {
  return new SettingsError('UNKNOWN_KEY', `"${key}" is not a Band setting of ${file}.`, {
    file,
    field: key,
    hint:
      'run `band settings` to see the known keys (worktreesDir, codingAgents, defaultCodingAgent, ' +
      'webServerPort, notifications.soundOnNeedsAttention, labels, tokenSecret, autoStartTunnel, tunnel.*)',
  });
}

export function listIndexOutOfRange(file: string, key: string, list: string, length: number): SettingsError {
  return new SettingsError(
    'UNKNOWN_KEY',
    `"${key}" is not in ${file}: ${list} has ${length} ${length === 1 ? 'entry' : 'entries'}, numbered from 0.`,
    {
      file,
      field: key,
      hint:
        length === 0
          ? `use ${list}.0 to add the first entry`
          : `use an index from 0 to ${length - 1} to change an entry, or ${length} to add one (\`band ` +
            `settings\` shows them)`,
    },
  );
}

export function ioError(file: string, cause: unknown): SettingsError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `the disk holding ${file} is full: free some space (nothing was changed), then try again`
      : `check the permissions of ${file} and its directory`;
  return new SettingsError('IO', `Cannot access ${file}: ${detail}`, { file, hint, cause });
}
