import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { binaryNotFound } from './errors.js';

/** How to run cloudflared: a binary, or a command plus leading args (e.g. `node fake-cloudflared.mjs`). */
export interface Launcher {
  command: string;
  args: string[];
  /** Where it came from, for logs and errors. */
  source: 'option' | 'env' | 'path' | 'well-known';
}

export interface ResolveBinaryOptions {
  binaryPath?: string;
  launcher?: { command: string; args?: string[] };
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Injected for tests. */
  isExecutable?: (path: string) => boolean;
}

/** Directories where installers put cloudflared but that a GUI app's PATH often lacks. */
export function wellKnownDirs(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): string[] {
  if (platform === 'win32') {
    return [
      env['ProgramFiles(x86)'] && join(env['ProgramFiles(x86)'], 'cloudflared'),
      env.ProgramFiles && join(env.ProgramFiles, 'cloudflared'),
      env.LOCALAPPDATA && join(env.LOCALAPPDATA, 'Microsoft', 'WinGet', 'Links'),
    ].filter((d): d is string => Boolean(d));
  }
  const home = env.HOME;
  return ['/opt/homebrew/bin', '/usr/local/bin', '/usr/bin', home && join(home, '.local', 'bin'), home && join(home, 'bin')].filter(
    (d): d is string => Boolean(d),
  );
}

function defaultIsExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, process.platform === 'win32' ? constants.F_OK : constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A `.js`/`.mjs` path (the fake cloudflared) runs through this Node, which works on every platform. */
function toLauncher(path: string, source: Launcher['source']): Launcher {
  if (/\.(c|m)?js$/.test(path)) return { command: process.execPath, args: [path], source };
  return { command: path, args: [], source };
}

/**
 * Binary discovery: `launcher`/`binaryPath` option → `BAND_CLOUDFLARED_PATH` (or `CLOUDFLARED_BIN`)
 * → PATH → well-known directories. Throws `BINARY_NOT_FOUND` with a per-platform install hint.
 */
export function resolveBinary(options: ResolveBinaryOptions = {}): Launcher {
  if (options.launcher) return { command: options.launcher.command, args: options.launcher.args ?? [], source: 'option' };
  if (options.binaryPath) return toLauncher(options.binaryPath, 'option');
  const env = options.env ?? process.env;
  const fromEnv = env.BAND_CLOUDFLARED_PATH || env.CLOUDFLARED_BIN;
  if (fromEnv) return toLauncher(fromEnv, 'env');
  const platform = options.platform ?? process.platform;
  const isExecutable = options.isExecutable ?? defaultIsExecutable;
  const names = platform === 'win32' ? ['cloudflared.exe', 'cloudflared'] : ['cloudflared'];
  const searched: string[] = [];
  const pathVar = env.PATH ?? env.Path ?? '';
  for (const dir of pathVar.split(platform === 'win32' ? ';' : delimiter).filter(Boolean)) {
    for (const name of names) {
      const candidate = join(dir, name);
      searched.push(candidate);
      if (isExecutable(candidate)) return { command: candidate, args: [], source: 'path' };
    }
  }
  for (const dir of wellKnownDirs(platform, env)) {
    for (const name of names) {
      const candidate = join(dir, name);
      searched.push(candidate);
      if (isExecutable(candidate)) return { command: candidate, args: [], source: 'well-known' };
    }
  }
  throw binaryNotFound(searched, platform);
}
