import { BandError, type BandErrorOptions } from '@band/internal';
import { MIN_CLOUDFLARED_VERSION } from './version.js';

/** Every way a tunnel can fail, as a closed union. */
export type TunnelErrorCode =
  /** No cloudflared binary was found (option, BAND_CLOUDFLARED_PATH, PATH, well-known dirs). */
  | 'BINARY_NOT_FOUND'
  /** The binary exists but cannot be executed (permissions, wrong architecture). */
  | 'BINARY_NOT_EXECUTABLE'
  /** Only a cloudflared older than `MIN_CLOUDFLARED_VERSION` was found. */
  | 'UNSUPPORTED_VERSION'
  /** cloudflared rejected its arguments (`Incorrect Usage`, nothing to run). */
  | 'USAGE'
  /** The quick-tunnel API answered 429 / error 1015, or the creation budget would be exceeded. */
  | 'RATE_LIMITED'
  /** Our own budget on quick-tunnel creations is spent (each restart mints a new URL). */
  | 'QUICK_TUNNEL_BUDGET'
  /** The quick-tunnel API answered with an error page or a malformed body. */
  | 'QUICK_SERVICE_ERROR'
  /** The quick-tunnel API could not be reached at all (DNS failure, no network, timeout). */
  | 'OFFLINE'
  /** The URL was minted but no edge connection could be registered (UDP/7844 blocked, firewall). */
  | 'EDGE_UNREACHABLE'
  /** cloudflared could not bind its metrics listener. */
  | 'METRICS_BIND_FAILED'
  /** cloudflared refused its configuration (`Couldn't start tunnel`). */
  | 'CONFIG_ERROR'
  /** The named-tunnel token is invalid or was refused by Cloudflare. */
  | 'AUTH_FAILED'
  /** A locally managed tunnel's credentials file is missing, unreadable, too open, or not cloudflared's JSON. */
  | 'CREDENTIALS_INVALID'
  /** No ready edge connection within `readyTimeoutMs`. */
  | 'READY_TIMEOUT'
  /** cloudflared replaced itself with a new version and exited 11. */
  | 'UPDATED'
  /** cloudflared exited or died unexpectedly. */
  | 'CRASHED'
  /** The tunnel was stopped (by `stop()` or the abort signal) while something waited on it. */
  | 'STOPPED'
  /** `waitFor()` gave up. */
  | 'TIMEOUT';

export interface TunnelErrorOptions extends BandErrorOptions {
  /** Last stderr lines of cloudflared, already redacted. */
  stderrTail?: readonly string[];
  exitCode?: number | null;
  signal?: string | null;
}

/** The one error class of @band/tunnel. Messages and tails never contain tokens. */
export class TunnelError extends BandError<TunnelErrorCode, TunnelErrorOptions> {
  override readonly name = 'TunnelError';
  /** Redacted last lines of cloudflared's output, so a premature exit can explain itself. */
  declare readonly stderrTail: readonly string[];
  declare readonly exitCode: number | null | undefined;
  declare readonly signal: string | null | undefined;

  constructor(code: TunnelErrorCode, message: string, options: TunnelErrorOptions = {}) {
    super(code, message, { ...options, stderrTail: options.stderrTail ?? [] });
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      hint: this.hint,
      stderrTail: this.stderrTail,
      exitCode: this.exitCode,
      signal: this.signal,
    };
  }
}

export function isTunnelError(value: unknown): value is TunnelError {
  return value instanceof TunnelError;
}

/** Per-platform way to get cloudflared. */
export function installHint(platform: NodeJS.Platform = process.platform): string {
  const tail = ' or set BAND_CLOUDFLARED_PATH to the binary.';
  switch (platform) {
    case 'darwin':
      return `Install cloudflared with \`brew install cloudflared\`${tail}`;
    case 'win32':
      return `Install cloudflared with \`winget install --id Cloudflare.cloudflared\`${tail}`;
    case 'linux':
      return (
        `Install cloudflared from https://pkg.cloudflare.com (\`apt install ` +
        `cloudflared\` after adding the repository) ` +
        `or download the cloudflared-linux-${process.arch === 'arm64' ? 'arm64' : 'amd64'} ` +
        `release from GitHub,${tail.slice(3)}`
      );
    default:
      return `Install cloudflared from https://github.com/cloudflare/cloudflared/releases${tail}`;
  }
}

const SOURCE_NAMES: Record<string, string> = {
  option: 'option',
  env: 'BAND_CLOUDFLARED_PATH',
  settings: 'settings tunnel.cloudflaredPath',
  path: 'PATH',
  'well-known': 'well-known directory',
};

/** `/a/cloudflared (PATH) is not cloudflared: …; /b (BAND_CLOUDFLARED_PATH) does not exist` */
function describeSkipped(skipped: readonly { path: string; source: string; reason: string }[]): string {
  return skipped.map((s) => `${s.path} (${SOURCE_NAMES[s.source] ?? s.source}) ${s.reason}`).join('; ');
}

export function binaryNotFound(
  skipped: readonly { path: string; source: string; reason: string }[],
  searched = 0,
  platform: NodeJS.Platform = process.platform,
): TunnelError {
  const tried = skipped.length ? `: ${describeSkipped(skipped)}` : '';
  const elsewhere = searched ? `; no cloudflared in ${searched} other locations (PATH and well-known directories)` : '';
  return new TunnelError('BINARY_NOT_FOUND', `cloudflared was not found${tried}${elsewhere}`, {
    hint: installHint(platform),
  });
}

export function unsupportedVersion(
  found: { path: string; version?: string },
  skipped: readonly { path: string; source: string; reason: string }[],
  platform: NodeJS.Platform = process.platform,
): TunnelError {
  const others = skipped.filter((s) => s.path !== found.path);
  return new TunnelError(
    'UNSUPPORTED_VERSION',
    `cloudflared ${found.version} at ${found.path} is too old: Band needs ${MIN_CLOUDFLARED_VERSION} ` +
      `or newer${others.length ? ` (also tried: ${describeSkipped(others)})` : ''}`,
    { hint: `Update cloudflared. ${installHint(platform)}` },
  );
}

export function binaryNotExecutable(path: string, cause: unknown): TunnelError {
  const errno = (cause as NodeJS.ErrnoException | undefined)?.code;
  return new TunnelError(
    'BINARY_NOT_EXECUTABLE',
    `cloudflared at ${path} cannot be executed (${errno ?? 'unknown error'})`,
    {
      cause,
      hint:
        errno === 'EACCES' || errno === 'EPERM'
          ? `Make it executable: chmod +x ${path}`
          : 'Check that the binary matches this machine (architecture, Rosetta on Apple silicon).',
    },
  );
}

/** Hints per code, used when a classified failure has no more specific advice. */
export const errorHints: Readonly<Record<TunnelErrorCode, string>> = Object.freeze({
  BINARY_NOT_FOUND: installHint(),
  BINARY_NOT_EXECUTABLE: 'Make the binary executable or reinstall cloudflared.',
  UNSUPPORTED_VERSION: `Update cloudflared to ${MIN_CLOUDFLARED_VERSION} or newer.`,
  USAGE: 'This cloudflared is probably too old for the flags used; update cloudflared.',
  RATE_LIMITED: 'trycloudflare.com rate-limits quick tunnel creation; wait a few minutes, or use a named tunnel.',
  QUICK_TUNNEL_BUDGET: 'Too many quick tunnels were created recently; wait a few minutes before starting again.',
  QUICK_SERVICE_ERROR:
    'The quick-tunnel service (api.trycloudflare.com) is having trouble; try again later or use a named tunnel.',
  OFFLINE: 'api.trycloudflare.com could not be reached: check the network connection, DNS and any proxy.',
  EDGE_UNREACHABLE:
    'The Cloudflare edge could not be reached on port 7844 (UDP ' +
    'for QUIC, TCP for HTTP/2); a firewall probably blocks it.',
  METRICS_BIND_FAILED: 'The metrics port is taken; another port will be used.',
  CONFIG_ERROR: 'cloudflared refused its configuration; see the output below.',
  AUTH_FAILED: 'The tunnel token is invalid or was revoked: copy a fresh token from the Cloudflare dashboard.',
  CREDENTIALS_INVALID:
    'Use the .json file `cloudflared tunnel create` wrote ' +
    '(~/.cloudflared/<TunnelID>.json), readable only by you (chmod 600).',
  READY_TIMEOUT: 'cloudflared did not connect in time; check the network and try again.',
  UPDATED: 'cloudflared updated itself; it is restarted automatically.',
  CRASHED: 'cloudflared exited unexpectedly; see the output below.',
  STOPPED: 'The tunnel was stopped.',
  TIMEOUT: 'The tunnel did not reach the expected state in time.',
});
