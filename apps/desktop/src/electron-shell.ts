// The window shell for packaged builds. Deliberately thin: it only draws what the plain modules decide.
import { DesktopError } from './errors.js';
import type { ElectronMenuItemOptions, ElectronModule, ElectronTray } from './electron-types.js';
import type { MenuItem, WindowClosed, WindowHandle, WindowShell } from './window-shell.js';

/** Converts Band's menu entries to an Electron template. Pure, so it is tested without Electron. */
export function toElectronTemplate(items: MenuItem[]): ElectronMenuItemOptions[] {
  return items.map((item) =>
    item.type === 'separator'
      ? { type: 'separator' }
      : { label: item.label, enabled: item.enabled, click: item.onClick },
  );
}

export interface ElectronShellOptions {
  /** A tray icon (PNG); without one only the application menu is shown. */
  trayIconPath?: string;
  /** Test seam / custom loader. @default dynamic import('electron') */
  loadElectron?: () => Promise<ElectronModule>;
}

async function importElectron(): Promise<ElectronModule> {
  // A variable specifier keeps bundlers and tsc from resolving a module that is not installed here.
  const specifier = 'electron';
  const mod = (await import(specifier)) as ElectronModule & { default?: ElectronModule };
  return mod.default?.app ? mod.default : mod;
}

export async function createElectronShell(options: ElectronShellOptions = {}): Promise<WindowShell> {
  let electron: ElectronModule;
  try {
    electron = await (options.loadElectron ?? importElectron)();
  } catch (error) {
    throw new DesktopError('ELECTRON_NOT_INSTALLED', 'Electron is not available', {
      hint:
        'Run band-desktop without --shell electron to use a Chromium-family browser in app mode, or run ' +
        'it inside a packaged Electron build.',
      cause: error,
    });
  }
  await electron.app.whenReady();
  // Quitting is the desktop app's decision (it must stop the server first), not Electron's default.
  electron.app.on('window-all-closed', () => {});
  let tray: ElectronTray | undefined;

  return {
    name: 'electron',
    supportsMenu: true,
    async open(url, windowOptions = {}) {
      const window = new electron.BrowserWindow({
        width: windowOptions.width ?? 1280,
        height: windowOptions.height ?? 860,
        title: windowOptions.title ?? 'Band',
        show: false,
        // The dashboard is a remote-content page as far as Electron is concerned: no Node in it.
        webPreferences: { contextIsolation: true, nodeIntegration: false, sandbox: true },
      });
      let byApp = false;
      const closed = new Promise<WindowClosed>((resolve) => window.once('closed', () => resolve({ byApp })));
      window.once('ready-to-show', () => window.show());
      // The launch page replaces itself with the dashboard; Electron rejects a load that another navigation
      // interrupted (ERR_ABORTED), which here is the expected hand-over, not a failure.
      await window.loadURL(url).catch((error: unknown) => {
        if (!String((error as Error)?.message ?? error).includes('ERR_ABORTED')) throw error;
      });
      const handle: WindowHandle = {
        closed,
        async close() {
          byApp = true;
          if (!window.isDestroyed()) window.close();
          await closed;
        },
        async navigate(next) {
          if (!window.isDestroyed()) await window.loadURL(next).catch(() => {});
        },
      };
      return handle;
    },
    setMenu(items) {
      const template = toElectronTemplate(items);
      electron.Menu.setApplicationMenu(electron.Menu.buildFromTemplate([{ label: 'Band', submenu: template }]));
      if (options.trayIconPath) {
        tray ??= new electron.Tray(electron.nativeImage.createFromPath(options.trayIconPath));
        tray.setToolTip('Band');
        tray.setContextMenu(electron.Menu.buildFromTemplate(template));
      }
    },
    async dispose() {
      tray?.destroy();
      tray = undefined;
      electron.app.quit();
    },
  };
}
