// The one error class of @band/cli. Exit codes are mapped in main.ts only (STYLE §7).
import { BandError, type BandErrorOptions, hintOf } from '@band/internal';

/** Every way a command can fail, as a closed union. */
export type CliErrorCode =
  | 'ERROR'
  | 'USAGE'
  | 'SERVER_NOT_RUNNING'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'VALIDATION'
  | 'INSECURE_TRANSPORT'
  | 'SERVER_UNVERIFIED'
  | 'APPROVAL_PENDING'
  | 'INTERRUPTED';

/** Process exit codes, documented in `band --help` and the README. */
export const EXIT_CODES = {
  OK: 0,
  ERROR: 1,
  USAGE: 2,
  SERVER_NOT_RUNNING: 3,
  UNAUTHORIZED: 4,
  NOT_FOUND: 5,
  VALIDATION: 6,
  SERVER_UNVERIFIED: 7,
  APPROVAL_PENDING: 8,
  INTERRUPTED: 130,
} as const;

const EXIT_BY_CODE: Record<CliErrorCode, number> = {
  ERROR: EXIT_CODES.ERROR,
  USAGE: EXIT_CODES.USAGE,
  SERVER_NOT_RUNNING: EXIT_CODES.SERVER_NOT_RUNNING,
  UNAUTHORIZED: EXIT_CODES.UNAUTHORIZED,
  NOT_FOUND: EXIT_CODES.NOT_FOUND,
  VALIDATION: EXIT_CODES.VALIDATION,
  INSECURE_TRANSPORT: EXIT_CODES.ERROR,
  SERVER_UNVERIFIED: EXIT_CODES.SERVER_UNVERIFIED,
  APPROVAL_PENDING: EXIT_CODES.APPROVAL_PENDING,
  INTERRUPTED: EXIT_CODES.INTERRUPTED,
};

/** The exit-code table as shown in `band --help` and the README. */
export const EXIT_CODE_HELP: ReadonlyArray<readonly [number, string]> = [
  [0, 'ok'],
  [1, 'error (including refusing to send the token over plain HTTP to a remote host)'],
  [2, 'usage: unknown command, missing argument, bad flag'],
  [3, 'server not running (start it with `band start` or `npm start`)'],
  [4, 'unauthorized: the token was refused (the message names where it came from)'],
  [5, 'not found: no such project, workspace, chat or terminal'],
  [6, 'validation: the server refused the input'],
  [
    7,
    'server not verified: the process on the local port could not prove it is your Band server (another ' +
      'program on the port, an older Band, or a token that does not match); the token was not sent',
  ],
  [
    8,
    'approval pending: `chats watch` / `chats send --watch` with --exit-on-approval stopped ' +
      'at a request the agent waits on (answer it with `band chats approve|deny|answer`)',
  ],
  [130, 'interrupted (Ctrl+C)'],
];

/** `hint` is what the user can do about it, printed as `hint: …`. */
export type CliErrorOptions = BandErrorOptions;

/** A known failure: printed as `error: …` then `hint: …`, with its own exit code. Never carries the token. */
export class CliError extends BandError<CliErrorCode> {
  override readonly name = 'CliError';
  get exitCode(): number {
    return EXIT_BY_CODE[this.code];
  }
}

/**
 * Another Band package's error, met outside a tRPC call (a corrupt settings.json under `band token rotate`, a server
 * that cannot start): each has a code and a hint, so it is a known failure that prints its fix (exit 1), not a bug.
 * Anything else is returned as it is.
 */
export function adoptPackageError(error: unknown): unknown {
  const hint = hintOf(error);
  if (error instanceof CliError || hint === undefined || typeof (error as { code?: unknown }).code !== 'string')
    return error;
  return new CliError('ERROR', (error as Error).message, { hint, cause: error });
}

export const usageError = (message: string, hint?: string) => new CliError('USAGE', message, { hint });
