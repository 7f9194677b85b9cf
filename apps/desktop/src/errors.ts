import { BandError, type BandErrorOptions } from '@band/internal';

/** Everything that can stop the desktop app, each with a fix the window or the terminal can show. */
export type DesktopErrorCode =
  /** No Chromium-family browser on PATH for the app-mode shell. */
  | 'BROWSER_NOT_FOUND'
  /** Electron was asked for but is not installed (packaged builds only). */
  | 'ELECTRON_NOT_INSTALLED'
  /** The Band server reported a start failure (port taken, corrupt settings, dashboard not built…). */
  | 'SERVER_START_FAILED'
  /** The Band server process exited before it was ready. */
  | 'SERVER_EXITED'
  /** The Band server did not become ready in time. */
  | 'SERVER_TIMEOUT'
  /** Another desktop instance holds the lock but never became ready. */
  | 'INSTANCE_BUSY'
  /**
   * The process on the Band port did not prove it holds this home's token (`/auth/hello`): a squatter, or a server
   * of another BAND_HOME. The token was not sent to it.
   */
  | 'SERVER_UNVERIFIED'
  /** A request to a running Band server failed (attach mode, tunnel menu). */
  | 'REQUEST_FAILED'
  /** The user quit while the server was still starting. */
  | 'CANCELLED';

export interface DesktopErrorOptions extends BandErrorOptions {
  /** The server's own error code when it reported one (e.g. PORT_IN_USE, SETTINGS_CORRUPT). */
  serverCode?: string;
  /** The last lines the server printed, for the error page. */
  details?: string;
}

export class DesktopError extends BandError<DesktopErrorCode, DesktopErrorOptions> {
  override readonly name = 'DesktopError';
  declare readonly serverCode: string | undefined;
  declare readonly details: string | undefined;
}

/** A consola-shaped logger (the app injects one; plain modules never write to the console). */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
