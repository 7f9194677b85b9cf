/**
 * cloudflared uses calendar versions (`YYYY.M.P`). Flags and log wording changed over the years, so the
 * supervisor probes the version once and derives what it may pass from it (tunnel.md §1.1, §5.5).
 */

/** A parsed `YYYY.M.P` version. */
export interface CloudflaredVersion {
  readonly year: number;
  readonly month: number;
  readonly patch: number;
  /** As printed, e.g. `2023.7.3`. */
  readonly text: string;
}

/**
 * The oldest cloudflared Band supports: it has `/ready` (2020.12) and `/quicktunnel` (2021.7), and its log
 * wording (the legacy `Connection … registered` line, four quick-tunnel connections) is covered by the
 * fake's `legacy=2022` profile. Older builds are refused with `UNSUPPORTED_VERSION`.
 */
export const MIN_CLOUDFLARED_VERSION = '2022.1.0';

/** Version gates for the flags Band may pass. */
export const FEATURE_SINCE = Object.freeze({
  /** `tunnel run --token-file`. Older builds answer `Incorrect Usage` (and exit 0). */
  tokenFile: '2025.4.0',
  /** `--output json` (JSON log lines on stderr). */
  jsonOutput: '2025.6.1',
});

export type CloudflaredFeature = keyof typeof FEATURE_SINCE;

const VERSION_LINE = /^cloudflared version (\d{4})\.(\d{1,2})\.(\d+)\b/m;
const BARE = /^(\d{4})\.(\d{1,2})\.(\d+)$/;

/** Parse `cloudflared version 2023.7.3 (built …)` (the `--version` output) or a bare `2023.7.3`. */
export function parseVersion(text: string): CloudflaredVersion | undefined {
  const m = VERSION_LINE.exec(text) ?? BARE.exec(text.trim());
  if (!m) return undefined;
  const [year, month, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return { year, month, patch, text: `${year}.${month}.${patch}` };
}

function toVersion(v: CloudflaredVersion | string): CloudflaredVersion {
  if (typeof v !== 'string') return v;
  const parsed = parseVersion(v);
  if (!parsed) throw new TypeError(`Not a cloudflared version: ${v}`);
  return parsed;
}

/** Negative when `a` is older than `b`, 0 when equal, positive when newer. */
export function compareVersions(a: CloudflaredVersion | string, b: CloudflaredVersion | string): number {
  const x = toVersion(a);
  const y = toVersion(b);
  return x.year - y.year || x.month - y.month || x.patch - y.patch;
}

/** Whether this cloudflared knows a flag Band would like to pass. */
export function supports(version: CloudflaredVersion | string, feature: CloudflaredFeature): boolean {
  return compareVersions(version, FEATURE_SINCE[feature]) >= 0;
}

export function isSupportedVersion(version: CloudflaredVersion | string): boolean {
  return compareVersions(version, MIN_CLOUDFLARED_VERSION) >= 0;
}
