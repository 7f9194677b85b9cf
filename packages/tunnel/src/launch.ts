import type { ChildProcess, spawn as nodeSpawn } from 'node:child_process';
import { accessSync, constants, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { CloudflaredBinary, Launcher } from './binary.js';
import { TunnelError, binaryNotExecutable, binaryNotFound } from './errors.js';
import { GUARDIAN_SOURCE } from './internal/guardian.js';
import { buildLocalConfig, readTunnelCredentials } from './local-config.js';
import { LineSplitter } from './log-parser.js';
import { type ResolvedTunnelOptions, type TunnelLogger, type TunnelOptions, tunnelDefaults } from './options.js';
import { writePrivateFile } from './state-dir.js';
import type { EdgeProtocol } from './state.js';
import { supports } from './version.js';

// TUNNEL_* and friends would change cloudflared's behaviour behind our argv; BAND_* carries Band's own
// secrets (BAND_TOKEN) that cloudflared has no use for.
const STRIPPED_ENV = /^(TUNNEL_|BAND_|NO_AUTOUPDATE$|DIAL_EDGE_TIMEOUT$|STDIN_CONTROL$)/;

/** Build the exact argv (without the binary). Exported for tests and the README. */
export function buildArgs(
  options: Pick<
    TunnelOptions,
    | 'url'
    | 'mode'
    | 'tokenFile'
    | 'credentialsFile'
    | 'tunnelId'
    | 'edgeIpVersion'
    | 'logFormat'
    | 'logFile'
    | 'extraArgs'
    | 'gracePeriodMs'
  >,
  extra: { configPath: string; pidFile: string; protocol?: EdgeProtocol; version?: string },
): string[] {
  // Flags an old cloudflared does not know make it print `Incorrect Usage` and exit 0: gate them.
  const has = (feature: 'tokenFile' | 'jsonOutput') => !extra.version || supports(extra.version, feature);
  const args = [
    'tunnel',
    '--no-autoupdate',
    // A generated config so ~/.cloudflared/config.yml cannot hijack routing (tunnel.md §1.10): empty, or for a
    // locally managed tunnel its id, credentials file and ingress (see buildLocalConfig).
    '--config',
    extra.configPath,
    '--metrics',
    '127.0.0.1:0',
    // Never debug: cloudflared would log request headers, i.e. tokens and cookies.
    '--loglevel',
    'info',
    '--grace-period',
    `${options.gracePeriodMs ?? tunnelDefaults.gracePeriodMs}ms`,
    '--pidfile',
    extra.pidFile,
  ];
  if (extra.protocol) args.push('--protocol', extra.protocol);
  if (options.edgeIpVersion) args.push('--edge-ip-version', options.edgeIpVersion);
  if (options.logFormat === 'json' && has('jsonOutput')) args.push('--output', 'json');
  if (options.logFile) args.push('--logfile', options.logFile);
  if (options.extraArgs) args.push(...options.extraArgs);
  if ((options.mode ?? 'quick') === 'named' && options.credentialsFile) {
    // The config holds the ingress; cloudflared refuses --url next to ingress rules.
    if (!options.tunnelId) throw new TunnelError('CONFIG_ERROR', 'A locally managed tunnel needs its tunnel id');
    args.push('run', options.tunnelId);
  } else if ((options.mode ?? 'quick') === 'named') {
    args.push('run', '--url', options.url);
    if (options.tokenFile && has('tokenFile')) args.push('--token-file', options.tokenFile);
  } else {
    args.push('--url', options.url);
  }
  return args;
}

/**
 * Write the config cloudflared runs with into `stateDir`: an empty one, or for a locally managed tunnel the
 * ingress built from its credentials file (read again now: it may have changed since `createTunnel`).
 * `configFile` is set when the file belongs to this child alone and goes when it exits.
 */
export function writeChildConfig(
  options: TunnelOptions,
  resolved: Pick<ResolvedTunnelOptions, 'local' | 'tunnelId'>,
  stateDir: string,
  id: string,
  logger: TunnelLogger,
): { configPath: string; configFile?: string } {
  if (!resolved.local) {
    const configPath = join(stateDir, 'cloudflared-empty.yml');
    writePrivateFile(configPath, '{}\n');
    return { configPath };
  }
  const creds = readTunnelCredentials(options.credentialsFile!, { tunnelId: resolved.tunnelId });
  for (const w of creds.warnings) logger.warn(`tunnel: ${w}`);
  const configPath = join(stateDir, `cloudflared-${id}.yml`);
  const config = buildLocalConfig({
    tunnelId: creds.tunnelId,
    credentialsFile: options.credentialsFile!,
    hostname: options.hostname!,
    url: options.url,
  });
  try {
    writePrivateFile(configPath, config);
  } catch (error) {
    rmSync(configPath, { force: true }); // a half-written file is this child's too, and it never starts
    throw error;
  }
  return { configPath, configFile: configPath };
}

/** What one cloudflared is started with. */
export interface LaunchPlan {
  launcher: Launcher;
  /** The full argv after `launcher.command` (the launcher's own args first). */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** A token read from `tokenFile` for an old build: it must be redacted like the others. */
  fileToken?: string;
}

/** argv and environment for one launch, with the flags the found version lacks left out. */
export function planLaunch(
  options: TunnelOptions,
  resolved: Pick<ResolvedTunnelOptions, 'mode' | 'local' | 'tunnelId' | 'env'>,
  found: CloudflaredBinary,
  extra: { configPath: string; pidFile: string; protocol?: EdgeProtocol },
): LaunchPlan {
  const { mode, local, tunnelId } = resolved;
  const version = found.version;
  const args = [...found.args, ...buildArgs({ ...options, mode, tunnelId }, { ...extra, version })];
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(resolved.env)) if (!STRIPPED_ENV.test(k) && v !== undefined) env[k] = v;
  let fileToken: string | undefined;
  if (local) {
    // Nothing but the config: a TUNNEL_TOKEN would win over the credentials file.
  } else if (mode === 'named' && options.token) env.TUNNEL_TOKEN = options.token;
  else if (mode === 'named' && options.tokenFile && !supports(version, 'tokenFile')) {
    // No --token-file before 2025.4.0: hand the file's token over the environment, never argv.
    try {
      fileToken = readFileSync(options.tokenFile, 'utf8').trim();
    } catch (error) {
      throw new TunnelError(
        'AUTH_FAILED',
        `Cannot read the tunnel token ` +
          `file ${options.tokenFile}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
        {
          hint: 'Check tunnel.tokenFile: it must be a readable file holding the token from the Cloudflare dashboard.',
          cause: error,
        },
      );
    }
    env.TUNNEL_TOKEN = fileToken;
  } else if (mode === 'named' && resolved.env.TUNNEL_TOKEN) env.TUNNEL_TOKEN = resolved.env.TUNNEL_TOKEN;
  return { launcher: found, args, env, fileToken };
}

// --- the parent-death guardian ---

export type GuardianChoice = { kind: 'none' } | { kind: 'node' } | { kind: 'setpriv'; path: string };

function findSetpriv(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  for (const p of ['/usr/bin/setpriv', '/bin/setpriv', '/usr/sbin/setpriv']) {
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function resolveGuardian(option: TunnelOptions['guardian']): GuardianChoice {
  if (option === false || (process.platform === 'win32' && option !== 'node')) return { kind: 'none' };
  if (option === 'node') return { kind: 'node' };
  const setpriv = findSetpriv();
  return setpriv ? { kind: 'setpriv', path: setpriv } : { kind: 'node' };
}

/** What the Node guardian reports on fd 3: cloudflared's real pid, or why it could not be spawned. */
export interface GuardianReport {
  pid?: number;
  error?: string;
}

/** Read the guardian's JSON lines from its fd 3. */
export function readGuardianReports(stream: Readable, onReport: (report: GuardianReport) => void): void {
  const splitter = new LineSplitter((line) => {
    try {
      onReport(JSON.parse(line) as GuardianReport);
    } catch {
      // the guardian only writes JSON lines
    }
  });
  stream.on('data', (chunk: Buffer) => splitter.push(chunk));
  stream.on('error', () => {});
}

// --- spawning ---

/** Catch a missing or non-executable binary before spawning, so every launch mode reports it the same way. */
export function checkLauncher(launcher: Launcher): TunnelError | undefined {
  if (!isAbsolute(launcher.command)) return undefined;
  try {
    accessSync(launcher.command, constants.F_OK);
  } catch {
    return binaryNotFound([{ path: launcher.command, source: launcher.source, reason: 'does not exist' }]);
  }
  if (process.platform === 'win32') return undefined;
  try {
    accessSync(launcher.command, constants.X_OK);
  } catch (error) {
    return binaryNotExecutable(launcher.command, error);
  }
  return undefined;
}

export function spawnError(launcher: Launcher, error: unknown): TunnelError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT')
    return binaryNotFound([{ path: launcher.command, source: launcher.source, reason: 'does not exist' }]);
  return binaryNotExecutable(launcher.command, error);
}

/**
 * Spawn cloudflared under the chosen guardian. Throws what `spawn` throws. With the Node guardian the
 * returned process is the guardian (cloudflared's pid arrives on fd 3); with setpriv it is cloudflared.
 */
export function spawnCloudflared(
  spawn: typeof nodeSpawn,
  guardian: GuardianChoice,
  plan: LaunchPlan,
  stopTimeoutMs: number,
): ChildProcess {
  const { launcher, args, env } = plan;
  if (guardian.kind === 'node')
    return spawn(process.execPath, ['-e', GUARDIAN_SOURCE, String(stopTimeoutMs), launcher.command, ...args], {
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env,
      windowsHide: true,
    });
  if (guardian.kind === 'setpriv')
    // setpriv execs into cloudflared: same pid, and the kernel sends SIGTERM when we die.
    return spawn(guardian.path, ['--pdeathsig', 'SIGTERM', '--', launcher.command, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env,
    });
  return spawn(launcher.command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, windowsHide: true, detached: false });
}
