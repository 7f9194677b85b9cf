import { delimiter, isAbsolute } from 'node:path';
import { findExecutable } from '@band/internal';
import { DesktopError } from './errors.js';

/** Chromium-family executables that support `--app=<url>`, in order of preference. */
export const CHROMIUM_CANDIDATES = [
  'chromium',
  'chromium-browser',
  'google-chrome',
  'google-chrome-stable',
  'chrome',
  'brave-browser',
  'brave',
  'microsoft-edge',
  'microsoft-edge-stable',
  'msedge',
] as const;

export interface FindBrowserOptions {
  /** @default process.env (reads PATH and BAND_BROWSER) */
  env?: NodeJS.ProcessEnv;
  /** Test seam. @default a check that the file exists, is a regular file and is executable */
  isExecutable?: (file: string) => boolean;
}

/**
 * Finds the browser for the app-mode shell: `BAND_BROWSER` (a path or a name on PATH) wins, otherwise the
 * first of {@link CHROMIUM_CANDIDATES} on PATH. Throws `BROWSER_NOT_FOUND` naming what to install.
 */
export function findChromiumBrowser(options: FindBrowserOptions = {}): string {
  const env = options.env ?? process.env;
  // Relative PATH entries and relative paths would make the result depend on the current directory; skip them.
  const PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && isAbsolute(dir))
    .join(delimiter);
  const lookup = (name: string): string | undefined =>
    name.includes('/') && !isAbsolute(name)
      ? undefined
      : findExecutable(name, { PATH }, undefined, options.isExecutable);
  const override = env.BAND_BROWSER?.trim();
  if (override) {
    const found = lookup(override);
    if (found) return found;
    throw new DesktopError(
      'BROWSER_NOT_FOUND',
      `BAND_BROWSER is set to "${override}", which is not an executable file`,
      {
        hint: 'Point BAND_BROWSER at a Chromium-family browser (an absolute path or a name on PATH), or unset it.',
      },
    );
  }
  for (const name of CHROMIUM_CANDIDATES) {
    const found = lookup(name);
    if (found) return found;
  }
  throw new DesktopError(
    'BROWSER_NOT_FOUND',
    `No Chromium-family browser found on PATH (looked for ${CHROMIUM_CANDIDATES.join(', ')})`,
    {
      hint:
        'Install one: `sudo apt install chromium` (Debian/Ubuntu), `sudo dnf install chromium` (Fedora), or ' +
        'Google Chrome, Brave or Edge; ' +
        'or set BAND_BROWSER=/path/to/browser. Meanwhile the dashboard also works in any browser: `npx band open`.',
    },
  );
}
