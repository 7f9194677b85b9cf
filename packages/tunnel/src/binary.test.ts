import { describe, expect, it } from 'vitest';
import { resolveBinary } from './binary.js';
import { TunnelError } from './errors.js';

describe('resolveBinary', () => {
  const none = () => false;
  it('prefers the binaryPath option', () => {
    expect(resolveBinary({ binaryPath: '/opt/cf', env: { BAND_CLOUDFLARED_PATH: '/x' }, isExecutable: none })).toEqual({ command: '/opt/cf', args: [], source: 'option' });
  });
  it('runs a .mjs path through this Node (the fake)', () => {
    expect(resolveBinary({ binaryPath: '/k/fake.mjs' })).toEqual({ command: process.execPath, args: ['/k/fake.mjs'], source: 'option' });
  });
  it('reads BAND_CLOUDFLARED_PATH from options.env, not process.env', () => {
    expect(resolveBinary({ env: { BAND_CLOUDFLARED_PATH: '/from/env' }, isExecutable: none }).command).toBe('/from/env');
  });
  it('searches PATH, then well-known directories', () => {
    const found = resolveBinary({ env: { PATH: '/a:/b', HOME: '/h' }, platform: 'linux', isExecutable: (p) => p === '/b/cloudflared' });
    expect(found).toEqual({ command: '/b/cloudflared', args: [], source: 'path' });
    const brew = resolveBinary({ env: { PATH: '/a' }, platform: 'darwin', isExecutable: (p) => p === '/opt/homebrew/bin/cloudflared' });
    expect(brew.source).toBe('well-known');
  });
  it.each([
    ['darwin', /brew install cloudflared/],
    ['win32', /winget install/],
    ['linux', /pkg\.cloudflare\.com/],
  ] as const)('throws BINARY_NOT_FOUND with an install hint on %s', (platform, hint) => {
    try {
      resolveBinary({ env: { PATH: '/nowhere' }, platform, isExecutable: none });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(TunnelError);
      expect((error as TunnelError).code).toBe('BINARY_NOT_FOUND');
      expect((error as TunnelError).hint).toMatch(hint);
      expect((error as TunnelError).hint).toMatch(/BAND_CLOUDFLARED_PATH/);
    }
  });
});
