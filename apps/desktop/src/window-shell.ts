// The one seam between the app and whatever draws its window (Electron, a browser in app mode, a test double).

export interface WindowOptions {
  /** @default 'Band' */
  title?: string;
  /** @default 1280 */
  width?: number;
  /** @default 860 */
  height?: number;
  /**
   * This app owns the window's browser profile (it holds the instance claim): a browser left running on it by a
   * crashed instance is closed first, instead of receiving the new window. @default false
   */
  isExclusive?: boolean;
  /**
   * The URL is a secret (the launch page's capability) until this settles. A shell that would put it on a command
   * line, where `/proc/<pid>/cmdline` shows it to every local user (app mode), hands it over through a 0600 redirect
   * file instead, removed when this settles or the window closes. @default the URL is no secret (e.g. the error page)
   */
  urlSecretUntil?: Promise<unknown>;
}

/** How a window ended. */
export interface WindowClosed {
  /** True when the app closed it (`close()`); false when the user (or a crash) did. */
  byApp: boolean;
  /** Set when the window process failed (non-zero exit, could not start): what it printed last. */
  error?: string;
}

export interface WindowHandle {
  /** Resolves once the window is gone, however that happened. Never rejects. */
  readonly closed: Promise<WindowClosed>;
  /** Closes the window (and the browser processes behind it). Idempotent, bounded. */
  close(): Promise<void>;
  /** Loads another URL in the same window, where the shell can (Electron); app mode reopens. */
  navigate?(url: string): Promise<void>;
  /** The OS process behind the window, when there is one (for process-tree checks). */
  readonly pid?: number;
}

/** One entry of the native menu/tray. Pure data: shells render it, the tunnel controller builds it. */
export type MenuItem =
  | { type: 'item'; id: string; label: string; enabled: boolean; onClick?: () => void }
  | { type: 'separator' };

export interface WindowShell {
  /** For logs and errors, e.g. 'electron', 'app-mode (/usr/bin/chromium)'. */
  readonly name: string;
  /** Whether {@link setMenu} draws a native menu or tray. The app-mode shell has none. */
  readonly supportsMenu: boolean;
  open(url: string, options?: WindowOptions): Promise<WindowHandle>;
  /** Replaces the native menu/tray entries (no-op where {@link supportsMenu} is false). */
  setMenu(items: MenuItem[]): void;
  /** Releases the shell itself (Electron: quits the app). Idempotent. */
  dispose(): Promise<void>;
}
