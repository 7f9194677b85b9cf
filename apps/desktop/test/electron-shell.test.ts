import { describe, expect, it, vi } from 'vitest';
import { createElectronShell, toElectronTemplate } from '../src/electron-shell.js';
import type { ElectronMenuItemOptions, ElectronModule } from '../src/electron-types.js';
import type { MenuItem } from '../src/window-shell.js';

/** Just enough of Electron to drive the shell: windows that record loadURL, menus that record templates. */
function fakeElectron() {
  const windows: Array<{ urls: string[]; options: unknown; emit(event: string): void; closed: boolean }> = [];
  const appMenus: ElectronMenuItemOptions[][] = [];
  const trayMenus: ElectronMenuItemOptions[][] = [];
  let quit = 0;
  let lastBuilt: ElectronMenuItemOptions[] = [];
  class BrowserWindow {
    listeners = new Map<string, () => void>();
    record = {
      urls: [] as string[],
      options: undefined as unknown,
      closed: false,
      emit: (event: string) => this.listeners.get(event)?.(),
    };
    constructor(options: unknown) {
      this.record.options = options;
      windows.push(this.record);
    }
    async loadURL(url: string) {
      this.record.urls.push(url);
      this.listeners.get('ready-to-show')?.();
    }
    close() {
      this.record.closed = true;
      this.listeners.get('closed')?.();
    }
    destroy() {}
    isDestroyed() {
      return this.record.closed;
    }
    once(event: string, listener: () => void) {
      this.listeners.set(event, listener);
      return this;
    }
    show() {}
    focus() {}
    setMenuBarVisibility() {}
  }
  const electron = {
    app: { whenReady: async () => {}, quit: () => void quit++, on: () => {}, requestSingleInstanceLock: () => true },
    BrowserWindow,
    Menu: {
      buildFromTemplate: (template: ElectronMenuItemOptions[]) => {
        lastBuilt = template;
        return { template };
      },
      setApplicationMenu: () => void appMenus.push(lastBuilt),
    },
    Tray: class {
      setContextMenu() {
        trayMenus.push(lastBuilt);
      }
      setToolTip() {}
      destroy() {}
    },
    nativeImage: { createEmpty: () => ({ isEmpty: () => true }), createFromPath: () => ({ isEmpty: () => false }) },
  } as unknown as ElectronModule;
  return { electron, windows, appMenus, trayMenus, quitCount: () => quit };
}

const items: MenuItem[] = [
  { type: 'item', id: 'tunnel-state', label: 'Tunnel: off', enabled: false },
  { type: 'separator' },
  { type: 'item', id: 'tunnel-start', label: 'Start tunnel', enabled: true, onClick: vi.fn() },
];

describe('toElectronTemplate', () => {
  it('maps items and separators', () => {
    expect(toElectronTemplate(items)).toEqual([
      { label: 'Tunnel: off', enabled: false, click: undefined },
      { type: 'separator' },
      { label: 'Start tunnel', enabled: true, click: expect.any(Function) },
    ]);
  });
});

describe('createElectronShell', () => {
  it('says how to run without Electron when it is not installed', async () => {
    await expect(
      createElectronShell({ loadElectron: () => Promise.reject(new Error("Cannot find package 'electron'")) }),
    ).rejects.toMatchObject({
      code: 'ELECTRON_NOT_INSTALLED',
      hint: expect.stringContaining('app mode'),
    });
  });

  it('opens a sandboxed window without Node on the sign-in URL and reports its closing', async () => {
    const fake = fakeElectron();
    const shell = await createElectronShell({ loadElectron: async () => fake.electron });
    expect(shell.supportsMenu).toBe(true);
    const window = await shell.open('http://localhost:1/pair#c=x', { width: 800 });
    expect(fake.windows[0]!.urls).toEqual(['http://localhost:1/pair#c=x']);
    expect(fake.windows[0]!.options).toMatchObject({
      width: 800,
      webPreferences: { contextIsolation: true, nodeIntegration: false, sandbox: true },
    });
    await window.navigate?.('http://localhost:1/');
    expect(fake.windows[0]!.urls).toHaveLength(2);
    fake.windows[0]!.emit('closed');
    expect(await window.closed).toEqual({ byApp: false });
    await shell.dispose();
    expect(fake.quitCount()).toBe(1);
  });

  it('treats a load interrupted by the launch page’s own hand-over (ERR_ABORTED) as loaded', async () => {
    const fake = fakeElectron();
    const proto = fake.electron.BrowserWindow.prototype as unknown as { loadURL(url: string): Promise<void> };
    const original = proto.loadURL;
    proto.loadURL = async () => {
      throw new Error("ERR_ABORTED (-3) loading 'http://127.0.0.1:1/x/'");
    };
    const shell = await createElectronShell({ loadElectron: async () => fake.electron });
    await expect(shell.open('http://127.0.0.1:1/x/')).resolves.toBeDefined();
    proto.loadURL = async () => {
      throw new Error('ERR_CONNECTION_REFUSED');
    };
    await expect(shell.open('http://127.0.0.1:1/y/')).rejects.toThrow('ERR_CONNECTION_REFUSED');
    proto.loadURL = original;
  });

  it('close() marks the window closed by the app', async () => {
    const fake = fakeElectron();
    const shell = await createElectronShell({ loadElectron: async () => fake.electron });
    const window = await shell.open('http://x');
    await window.close();
    expect(await window.closed).toEqual({ byApp: true });
  });

  it('draws the tunnel menu in the application menu, and in a tray when an icon is given', async () => {
    const fake = fakeElectron();
    const shell = await createElectronShell({ loadElectron: async () => fake.electron, trayIconPath: '/icon.png' });
    shell.setMenu(items);
    expect(fake.appMenus).toHaveLength(1);
    expect(fake.trayMenus[0]!.map((i) => i.label ?? i.type)).toEqual(['Tunnel: off', 'separator', 'Start tunnel']);
  });
});
