import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { binaryNotExecutable, binaryNotFound, unsupportedVersion } from './errors.js';
import { isSupportedVersion, parseVersion } from './version.js';

/** Where a cloudflared candidate came from, in discovery order. */
export type LauncherSource = 'option' | 'env' | 'settings' | 'path' | 'well-known';

/** How to run cloudflared: a binary, or a command plus leading args (e.g. `node fake-cloudflared.mjs`). */
export interface Launcher {
  command: string;
  args: string[];
  /** Where it came from, for logs and errors. */
  source: LauncherSource;
}

/** A launcher that answered `--version` like cloudflared. */
export interface CloudflaredBinary extends Launcher {
  /** As printed by `--version`, e.g. `2023.7.3`. */
  version: string;
}

/** A candidate discovery looked at and passed over, with the reason shown to the user. */
export interface SkippedCandidate {
  path: string;
  source: LauncherSource;
  reason: string;
  /** Set when the candidate is cloudflared, only too old. */
  version?: string;
}

export interface ResolveBinaryOptions {
  binaryPath?: string;
  launcher?: { command: string; args?: string[] };
  /** The app's own setting (Band: `tunnel.cloudflaredPath`), tried after `BAND_CLOUDFLARED_PATH`. */
  configuredPath?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Injected for tests. */
  isExecutable?: (path: string) => boolean;
}

export interface ProbeResult {
  /** stdout and stderr of `<binary> --version`, at most 64 KiB. */
  output: string;
  code: number | null;
  signal: string | null;
  /** Set when it could not be run at all (ENOENT, EACCES, timeout). */
  error?: string;
}

export interface FindCloudflaredOptions extends ResolveBinaryOptions {
  /** Runs `<launcher> --version`. Injected for tests. */
  probe?: (launcher: Launcher, env: NodeJS.ProcessEnv, timeoutMs: number) => Promise<ProbeResult>;
  /** @default 5_000 */
  probeTimeoutMs?: number;
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
  return [
    '/opt/homebrew/bin',
    '/usr/local/bin',
    '/usr/bin',
    home && join(home, '.local', 'bin'),
    home && join(home, 'bin'),
  ].filter((d): d is string => Boolean(d));
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
function toLauncher(path: string, source: LauncherSource): Launcher {
  if (/\.(c|m)?js$/.test(path)) return { command: process.execPath, args: [path], source };
  return { command: path, args: [], source };
}

/** The file a launcher stands for: the script for `node script.mjs`, else the command. */
function launcherPath(l: Launcher): string {
  return l.args[0] && l.command === process.execPath ? l.args[0] : l.command;
}

/**
 * Every candidate in discovery order: `launcher`/`binaryPath` option → `BAND_CLOUDFLARED_PATH` (or
 * `CLOUDFLARED_BIN`) → `configuredPath` → PATH → well-known directories. PATH and well-known entries are
 * listed only when an executable file is there; explicit ones always (so a wrong setting is reported).
 */
export function listCandidates(options: ResolveBinaryOptions = {}): { candidates: Launcher[]; searched: number } {
  const candidates: Launcher[] = [];
  if (options.launcher)
    candidates.push({ command: options.launcher.command, args: options.launcher.args ?? [], source: 'option' });
  if (options.binaryPath) candidates.push(toLauncher(options.binaryPath, 'option'));
  const env = options.env ?? process.env;
  const fromEnv = env.BAND_CLOUDFLARED_PATH || env.CLOUDFLARED_BIN;
  if (fromEnv) candidates.push(toLauncher(fromEnv, 'env'));
  if (options.configuredPath) candidates.push(toLauncher(options.configuredPath, 'settings'));
  const platform = options.platform ?? process.platform;
  const isExecutable = options.isExecutable ?? defaultIsExecutable;
  const names = platform === 'win32' ? ['cloudflared.exe', 'cloudflared'] : ['cloudflared'];
  const pathVar = env.PATH ?? env.Path ?? '';
  let searched = 0;
  const seen = new Set(candidates.map(launcherPath));
  const scan = (dirs: string[], source: LauncherSource) => {
    for (const dir of dirs) {
      for (const name of names) {
        const candidate = join(dir, name);
        if (seen.has(candidate)) continue;
        if (!isExecutable(candidate)) {
          searched++;
          continue;
        }
        seen.add(candidate);
        candidates.push({ command: candidate, args: [], source });
      }
    }
  };
  scan(pathVar.split(platform === 'win32' ? ';' : delimiter).filter(Boolean), 'path');
  scan(wellKnownDirs(platform, env), 'well-known');
  return { candidates, searched };
}

/**
 * The first candidate, unchecked (synchronous). Prefer `findCloudflared()`, which skips what is not
 * cloudflared. Throws `BINARY_NOT_FOUND` with a per-platform install hint.
 */
export function resolveBinary(options: ResolveBinaryOptions = {}): Launcher {
  const { candidates, searched } = listCandidates(options);
  const first = candidates[0];
  if (!first) throw binaryNotFound([], searched, options.platform);
  return first;
}

/** Runs `<launcher> --version` with a timeout; never throws. */
export function probeVersion(launcher: Launcher, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let output = '';
    let settled = false;
    const done = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(launcher.command, [...launcher.args, '--version'], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
    } catch (error) {
      resolve({ output: '', code: null, signal: null, error: (error as NodeJS.ErrnoException).code ?? String(error) });
      return;
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done({ output, code: null, signal: 'SIGKILL', error: `no answer within ${Math.round(timeoutMs / 1000)} s` });
    }, timeoutMs);
    const collect = (chunk: Buffer) => {
      if (output.length < 65_536) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.on('error', (error: NodeJS.ErrnoException) =>
      done({ output, code: null, signal: null, error: error.code ?? error.message }),
    );
    child.on('close', (code, signal) => done({ output, code, signal }));
  });
}

// Probing spawns a process; cache the answer per file until the file changes (an upgrade).
const probeCache = new Map<string, { stamp: string; result: ProbeResult }>();

function fileStamp(path: string): string | undefined {
  try {
    const s = statSync(path);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return undefined;
  }
}

function describeFailure(r: ProbeResult): string {
  if (r.error === 'ENOENT') return 'does not exist';
  if (r.error === 'EACCES' || r.error === 'EPERM') return 'is not executable';
  if (r.error) return `could not be run (${r.error})`;
  const first = r.output
    .split('\n')
    .find((l) => l.trim())
    ?.trim();
  const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.code}`;
  return first
    ? `is not cloudflared: \`--version\` printed "${first.slice(0, 80)}" and ${how}`
    : `is not cloudflared: \`--version\` printed nothing and ${how} (a wrapper such as the ` +
        `npm "cloudflared" launcher?)`;
}

/**
 * Binary discovery that never takes a wrapper for the binary: each candidate (see `listCandidates`) is run
 * with `--version`, and one that does not answer `cloudflared version X.Y.Z` is skipped. Returns the first
 * that does, with its version. Throws `BINARY_NOT_FOUND` (each path tried and why it was skipped, plus
 * the install hint) or `UNSUPPORTED_VERSION` (only cloudflared older than `MIN_CLOUDFLARED_VERSION`).
 */
export async function findCloudflared(
  options: FindCloudflaredOptions = {},
): Promise<{ binary: CloudflaredBinary; skipped: SkippedCandidate[] }> {
  const env = options.env ?? process.env;
  const probe = options.probe ?? probeVersion;
  const timeoutMs = options.probeTimeoutMs ?? 5_000;
  const { candidates, searched } = listCandidates(options);
  const skipped: SkippedCandidate[] = [];
  for (const launcher of candidates) {
    const path = launcherPath(launcher);
    const stamp = fileStamp(path);
    if (!stamp && !options.probe) {
      skipped.push({ path, source: launcher.source, reason: 'does not exist' });
      continue;
    }
    // A Node script (the fake) answers by its environment, so only real binaries are cached.
    const cacheable = !options.probe && launcher.command !== process.execPath;
    const key = `${launcher.command}\0${launcher.args.join('\0')}`;
    const cached = cacheable ? probeCache.get(key) : undefined;
    let result = cached && cached.stamp === stamp ? cached.result : undefined;
    if (!result) {
      result = await probe(launcher, env, timeoutMs);
      if (cacheable && stamp && !result.error) probeCache.set(key, { stamp, result });
    }
    const version = result.error ? undefined : parseVersion(result.output);
    if (!version) {
      skipped.push({ path, source: launcher.source, reason: describeFailure(result) });
      continue;
    }
    if (!isSupportedVersion(version)) {
      skipped.push({
        path,
        source: launcher.source,
        reason: `is cloudflared ${version.text}, too old`,
        version: version.text,
      });
      continue;
    }
    return { binary: { ...launcher, version: version.text }, skipped };
  }
  const tooOld = skipped.find((s) => s.version);
  if (tooOld) throw unsupportedVersion(tooOld, skipped, options.platform);
  // A file the user named that exists but cannot run is the likeliest cause: say how to fix that one.
  const denied = skipped.find(
    (s) => s.reason === 'is not executable' && s.source !== 'path' && s.source !== 'well-known',
  );
  if (denied) throw binaryNotExecutable(denied.path, Object.assign(new Error('EACCES'), { code: 'EACCES' }));
  throw binaryNotFound(skipped, searched, options.platform);
}
