// The one error class of @band/settings, made by the factories below. Messages name the file, the field and the fix,
// and never contain a token value.

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

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
  /** The message without the `fix:` line. */
  readonly problem: string;
  constructor(
    readonly code: SettingsErrorCode,
    message: string,
    readonly file: string,
    readonly hint: string,
    readonly field?: string,
    options?: { cause?: unknown },
  ) {
    super(`${message}\n  fix: ${hint}`, options);
    this.problem = message;
  }

  /**
   * The problem and the fix with no absolute path: every path under `home` is shown relative to it
   * (`settings.json`), `home` itself as `BAND_HOME`, and the user's home directory as `~`. For clients that must
   * not learn where Band lives on disk (a phone through the tunnel).
   */
  withoutPaths(home: string, userHome?: string): { problem: string; hint: string } {
    const scrub = (text: string) => hidePaths(text, home, userHome);
    return { problem: scrub(this.problem), hint: scrub(this.hint) };
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
    file,
    `repair the JSON in ${file} (or move it away to start with fresh settings and a new token)`,
    undefined,
    { cause },
  );
}

export function invalidField(file: string, field: string, problem: string): SettingsError {
  return new SettingsError(
    'INVALID_FIELD',
    `${file}: field "${field}" ${problem}.`,
    file,
    `correct "${field}" in ${file}, or delete the field to get its default`,
    field,
  );
}

export function malformedToken(file: string): SettingsError {
  return new SettingsError(
    'MALFORMED_TOKEN',
    `${file}: field "tokenSecret" must be 64 lowercase hex characters. Band never runs with a weak or empty token.`,
    file,
    `delete the "tokenSecret" field from ${file} and restart Band to generate a new token`,
    'tokenSecret',
  );
}

export function missingToken(file: string): SettingsError {
  return new SettingsError(
    'MISSING_TOKEN',
    `${file} has no "tokenSecret".`,
    file,
    'start the Band server once (`band start`) to generate the token, or set BAND_TOKEN',
    'tokenSecret',
  );
}

export function wrongOwner(file: string, uid: number, owner: number): SettingsError {
  return new SettingsError(
    'WRONG_OWNER',
    `${file} is owned by uid ${owner}, not by the current user (uid ${uid}). Band refuses to trust it.`,
    file,
    `chown it to the current user (chown ${uid} "${file}") or set BAND_HOME to a directory you own`,
  );
}

export function notAFile(file: string): SettingsError {
  return new SettingsError('NOT_A_FILE', `${file} is not a regular file.`, file, `remove ${file} and restart Band`);
}

export function lockTimeout(file: string, lockFile: string): SettingsError {
  return new SettingsError(
    'LOCK_TIMEOUT',
    `Timed out waiting for the lock ${lockFile} on ${file}.`,
    file,
    `another Band process holds the lock; if none is running, delete ${lockFile}`,
  );
}

export function unknownKey(file: string, key: string): SettingsError {
  return new SettingsError(
    'UNKNOWN_KEY',
    `"${key}" is not a Band setting of ${file}.`,
    file,
    'run `band settings` to see the known keys (worktreesDir, codingAgents, defaultCodingAgent, ' +
      'webServerPort, notifications.soundOnNeedsAttention, labels, tokenSecret, autoStartTunnel, tunnel.*)',
    key,
  );
}

export function listIndexOutOfRange(file: string, key: string, list: string, length: number): SettingsError {
  return new SettingsError(
    'UNKNOWN_KEY',
    `"${key}" is not in ${file}: ${list} has ${length} ${length === 1 ? 'entry' : 'entries'}, numbered from 0.`,
    file,
    length === 0
      ? `use ${list}.0 to add the first entry`
      : `use an index from 0 to ${length - 1} to change an entry, or ${length} to add one (\`band ` +
          `settings\` shows them)`,
    key,
  );
}

export function ioError(file: string, cause: unknown): SettingsError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const hint =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? `the disk holding ${file} is full: free some space (nothing was changed), then try again`
      : `check the permissions of ${file} and its directory`;
  return new SettingsError('IO', `Cannot access ${file}: ${detail}`, file, hint, undefined, { cause });
}
