// Test kit for @band/settings: shipped as @band/settings/testing.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempBandHome extends AsyncDisposable {
  /** A fresh, empty directory to pass as `home` (it does not contain settings.json yet). */
  home: string;
}

/** A throwaway Band home under the OS temp dir, removed on dispose. */
export async function tempBandHome(): Promise<TempBandHome> {
  const base = await mkdtemp(join(tmpdir(), 'band-home-'));
  const home = join(base, 'home');
  return {
    home,
    [Symbol.asyncDispose]: () => rm(base, { recursive: true, force: true }),
  };
}
