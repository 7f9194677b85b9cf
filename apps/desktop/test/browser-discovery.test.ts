import { describe, expect, it } from 'vitest';
import { CHROMIUM_CANDIDATES, findChromiumBrowser } from '../src/browser-discovery.js';
import { mkdir } from 'node:fs/promises';
import { DesktopError } from '../src/errors.js';
import { tempDir } from './helpers.js';

const only =
  (...files: string[]) =>
  (file: string) =>
    files.includes(file);

describe('findChromiumBrowser', () => {
  it('prefers chromium over other browsers on PATH', () => {
    const found = findChromiumBrowser({
      env: { PATH: '/opt/bin:/usr/bin' },
      isExecutable: only('/usr/bin/google-chrome', '/usr/bin/chromium'),
    });
    expect(found).toBe('/usr/bin/chromium');
  });

  it('searches PATH in order for each candidate', () => {
    const found = findChromiumBrowser({
      env: { PATH: '/a:/b' },
      isExecutable: only('/b/brave-browser', '/a/brave-browser'),
    });
    expect(found).toBe('/a/brave-browser');
  });

  it('finds Edge and Brave when nothing else is installed', () => {
    expect(findChromiumBrowser({ env: { PATH: '/x' }, isExecutable: only('/x/microsoft-edge') })).toBe(
      '/x/microsoft-edge',
    );
    expect(findChromiumBrowser({ env: { PATH: '/x' }, isExecutable: only('/x/brave') })).toBe('/x/brave');
  });

  it('honours BAND_BROWSER as a path or a name on PATH', () => {
    expect(
      findChromiumBrowser({
        env: { PATH: '/x', BAND_BROWSER: '/opt/vivaldi' },
        isExecutable: only('/opt/vivaldi', '/x/chromium'),
      }),
    ).toBe('/opt/vivaldi');
    expect(
      findChromiumBrowser({ env: { PATH: '/x', BAND_BROWSER: 'thorium' }, isExecutable: only('/x/thorium') }),
    ).toBe('/x/thorium');
  });

  it('rejects a BAND_BROWSER that is not executable instead of silently picking another browser', () => {
    expect(() =>
      findChromiumBrowser({ env: { PATH: '/x', BAND_BROWSER: '/nope/browser' }, isExecutable: only('/x/chromium') }),
    ).toThrow(/BAND_BROWSER/);
  });

  it('ignores relative PATH entries (a browser named chromium in the current directory is not trusted)', () => {
    expect(() => findChromiumBrowser({ env: { PATH: '.:bin:' }, isExecutable: () => true })).toThrow(DesktopError);
  });

  it('says what to install when no browser is found', () => {
    try {
      findChromiumBrowser({ env: { PATH: '/x' }, isExecutable: () => false });
      expect.unreachable();
    } catch (error) {
      const e = error as DesktopError;
      expect(e.code).toBe('BROWSER_NOT_FOUND');
      for (const name of CHROMIUM_CANDIDATES.slice(0, 3)) expect(e.message).toContain(name);
      expect(e.hint).toContain('apt install chromium');
    }
  });

  it('works with a missing PATH', () => {
    expect(() => findChromiumBrowser({ env: {}, isExecutable: () => true })).toThrow(/No Chromium-family browser/);
  });

  it('checks real files: a directory named chromium is not a browser', async () => {
    const dir = await tempDir();
    await mkdir(`${dir}/chromium`);
    expect(() => findChromiumBrowser({ env: { PATH: dir } })).toThrow(/No Chromium-family browser/);
  });
});
