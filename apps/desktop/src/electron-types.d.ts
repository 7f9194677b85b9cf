// The few Electron APIs the Electron shell uses. Electron cannot be installed on the machines this is developed
// on (its binary is downloaded on first use), so these stand in for its own types; `electron-shell.ts` loads the
// module dynamically and never at import time.

export interface ElectronMenuItemOptions {
  label?: string;
  type?: 'normal' | 'separator';
  enabled?: boolean;
  click?: () => void;
  submenu?: ElectronMenuItemOptions[];
  role?: 'quit' | 'reload' | 'toggleDevTools' | 'copy' | 'paste' | 'cut' | 'selectAll' | 'undo' | 'redo';
}

/** Opaque: only passed back to Electron. */
export type ElectronMenu = object;

export interface ElectronBrowserWindow {
  loadURL(url: string): Promise<void>;
  close(): void;
  destroy(): void;
  isDestroyed(): boolean;
  once(event: 'closed' | 'ready-to-show', listener: () => void): this;
  show(): void;
  focus(): void;
  setMenuBarVisibility(visible: boolean): void;
}

export interface ElectronTray {
  setContextMenu(menu: ElectronMenu | null): void;
  setToolTip(text: string): void;
  destroy(): void;
}

export interface ElectronModule {
  app: {
    whenReady(): Promise<void>;
    quit(): void;
    on(event: 'window-all-closed', listener: () => void): void;
    requestSingleInstanceLock(): boolean;
  };
  BrowserWindow: new (options: {
    width?: number;
    height?: number;
    title?: string;
    show?: boolean;
    webPreferences?: { contextIsolation?: boolean; nodeIntegration?: boolean; sandbox?: boolean };
  }) => ElectronBrowserWindow;
  Menu: {
    buildFromTemplate(template: ElectronMenuItemOptions[]): ElectronMenu;
    setApplicationMenu(menu: ElectronMenu | null): void;
  };
  Tray: new (image: ElectronNativeImage) => ElectronTray;
  nativeImage: { createEmpty(): ElectronNativeImage; createFromPath(path: string): ElectronNativeImage };
}

export interface ElectronNativeImage {
  isEmpty(): boolean;
}
