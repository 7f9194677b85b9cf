import { join } from 'node:path';

/** Where the desktop app keeps its state inside BAND_HOME. */
export interface DesktopPaths {
  home: string;
  /** `BAND_HOME/run`: files describing running processes. */
  runDir: string;
  /** `BAND_HOME/run/desktop.json`: the single-instance record (pid, port, url). */
  instanceFile: string;
  /** `BAND_HOME/desktop`: the app-mode browser's profile and the local error page. */
  desktopDir: string;
  /** Chromium `--user-data-dir`: its own profile, so the Band cookie never mixes with the user's browser. */
  profileDir: string;
  /** The local error page shown when the server fails to start. */
  errorPage: string;
}

export function resolveDesktopPaths(home: string): DesktopPaths {
  const runDir = join(home, 'run');
  const desktopDir = join(home, 'desktop');
  return {
    home,
    runDir,
    instanceFile: join(runDir, 'desktop.json'),
    desktopDir,
    profileDir: join(desktopDir, 'app-profile'),
    errorPage: join(desktopDir, 'error.html'),
  };
}
