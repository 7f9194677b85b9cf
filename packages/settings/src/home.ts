import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The Band home directory: `BAND_HOME` when set (resolved to an absolute path), else `~/.band`. */
export function resolveBandHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.BAND_HOME?.trim();
  if (fromEnv) return resolve(fromEnv);
  return join(homedir(), '.band');
}
