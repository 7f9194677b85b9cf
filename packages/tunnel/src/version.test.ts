import { describe, expect, it } from 'vitest';
import { MIN_CLOUDFLARED_VERSION, compareVersions, isSupportedVersion, parseVersion, supports } from './version.js';

describe('cloudflared versions', () => {
  it.each([
    ['cloudflared version 2023.7.3 (built 2023-07-25-1208 UTC)', '2023.7.3'],
    ['cloudflared version 2025.8.1 (built 2025-08-20-1402 UTC)\n', '2025.8.1'],
    ['2026.5.2', '2026.5.2'],
  ])('parses %j', (text, version) => {
    expect(parseVersion(text)?.text).toBe(version);
  });
  it.each(['', 'cloudflared', 'Incorrect Usage', 'cloudflared version DEV', 'v2023.7.3'])('rejects %j', (text) => {
    expect(parseVersion(text)).toBeUndefined();
  });
  it('compares calendar versions numerically (2023.10 is newer than 2023.9)', () => {
    expect(compareVersions('2023.10.0', '2023.9.1')).toBeGreaterThan(0);
    expect(compareVersions('2025.4.0', '2025.4.0')).toBe(0);
    expect(compareVersions('2022.12.1', '2023.1.0')).toBeLessThan(0);
  });
  it('gates --token-file at 2025.4.0 and --output json at 2025.6.1', () => {
    expect(supports('2025.3.1', 'tokenFile')).toBe(false);
    expect(supports('2025.4.0', 'tokenFile')).toBe(true);
    expect(supports('2025.6.0', 'jsonOutput')).toBe(false);
    expect(supports('2025.6.1', 'jsonOutput')).toBe(true);
    expect(supports('2023.7.3', 'jsonOutput')).toBe(false);
  });
  it(`supports ${MIN_CLOUDFLARED_VERSION} and newer`, () => {
    expect(isSupportedVersion(MIN_CLOUDFLARED_VERSION)).toBe(true);
    expect(isSupportedVersion('2021.12.4')).toBe(false);
  });
});
