import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@band/api';

export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

/** A temporary BAND_HOME, removed on dispose. */
export async function tempHome(): Promise<{ home: string; [Symbol.asyncDispose](): Promise<void> }> {
  const home = await mkdtemp(join(tmpdir(), 'band-test-'));
  return { home, [Symbol.asyncDispose]: () => rm(home, { recursive: true, force: true }) };
}

/** A logger that keeps every line, so tests can assert that no secret was ever logged. */
export function captureLogger(): Logger & { lines: string[]; text(): string } {
  const lines: string[] = [];
  const push =
    (level: string) =>
    (message: string, ...args: unknown[]) => {
      lines.push(`${level} ${message} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
    };
  return {
    lines,
    text: () => lines.join('\n'),
    debug: push('debug'),
    info: push('info'),
    warn: push('warn'),
    error: push('error'),
  };
}

/** vi.waitFor / expect.poll options for a loaded machine (the default 1 s is not enough for a browser or a server). */
export { SLOW } from '../../../tooling/testing/slow.js';
