// A full disk at the write boundary (soak: full disk): writes fail with a hint that says so, leave no empty lock
// behind, and work again as soon as there is space.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadSettings, SettingsError } from '../src/index.js';
import { tempBandHome } from '../src/testing/index.js';

const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const enospc = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const open: typeof fs.open = async (...args) => {
    const handle = await fs.open(...args);
    if (!disk.full) return handle;
    // Creating a file still works (no data block yet); writing to it does not, as on a full filesystem.
    return Object.assign(Object.create(handle), {
      writeFile: async () => {
        throw enospc();
      },
      close: () => handle.close(),
    });
  };
  return { ...fs, default: { ...fs, open }, open };
});

describe('settings on a full disk', () => {
  it(
    'a write fails with a hint that says the disk is full, ' + 'leaves no empty lock, and works once space returns',
    async () => {
      await using tmp = await tempBandHome();
      await using store = await loadSettings({ home: tmp.home, lockTimeoutMs: 2_000 });
      const before = store.get();
      disk.full = true;
      let error: unknown;
      try {
        await store.set('autoStartTunnel', true);
      } catch (caught) {
        error = caught;
      } finally {
        disk.full = false;
      }
      expect(error).toBeInstanceOf(SettingsError);
      expect((error as SettingsError).message).toContain('ENOSPC');
      expect((error as SettingsError).hint).toMatch(/is full: free some space/);
      expect(existsSync(join(tmp.home, 'settings.lock'))).toBe(false);
      expect(store.get()).toEqual(before);
      const t0 = Date.now();
      await store.set('autoStartTunnel', true);
      expect(Date.now() - t0).toBeLessThan(1_500);
      expect(store.get().autoStartTunnel).toBe(true);
    },
  );
});
