/**
 * Locally managed named tunnels (`cloudflared tunnel create`): the tunnel's credentials file and the config Band
 * writes for it (tunnel id, credentials file, ingress to Band's origin, then a 404 catch-all). cloudflared reads
 * that config with `tunnel --config <file> run <id>`; no token, no `--url` (it refuses `--url` next to ingress rules).
 */
import { readFileSync, statSync } from 'node:fs';
import { TunnelError } from './errors.js';

/** What Band needs from `~/.cloudflared/<TunnelID>.json`. */
export interface TunnelCredentials {
  /** The credentials file, as given. */
  path: string;
  tunnelId: string;
  accountTag: string;
  /** `TunnelName`, written by cloudflared ≥ 2021.3 (absent from older files). */
  tunnelName?: string;
  /** Things worth telling the user that do not stop the tunnel (a group-readable file). */
  warnings: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const CREATE_HINT =
  'Create the tunnel with `cloudflared tunnel create band`: ' +
  'it writes ~/.cloudflared/<TunnelID>.json. Pass that file (not cert.pem). See docs/named-tunnel.md.';

function invalid(message: string, hint = CREATE_HINT, cause?: unknown): TunnelError {
  return new TunnelError('CREDENTIALS_INVALID', message, { hint, cause });
}

/** Go's encoding/json matches keys case-insensitively; so does cloudflared, and so do we. */
function field(obj: Record<string, unknown>, name: string): unknown {
  const key = Object.keys(obj).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : obj[key];
}

/**
 * Reads and checks a tunnel credentials file before cloudflared sees it, so a mistake is a clear error at once and
 * not a retry loop at the edge. Refused (`CREDENTIALS_INVALID`): a missing or unreadable file, not a regular file,
 * a file with several hard links (another link may be anywhere; Band reads no hard-linked file), a file other users
 * can read (anyone who reads it can run your tunnel: `chmod 600`), `cert.pem` instead of the JSON, invalid JSON, or
 * no `TunnelID`/`AccountTag`/`TunnelSecret`. A group-readable file is a warning. A symbolic link is followed (the
 * checks apply to its target).
 */
export function readTunnelCredentials(
  path: string,
  options: { tunnelId?: string; platform?: NodeJS.Platform } = {},
): TunnelCredentials {
  if (options.tunnelId !== undefined && !UUID.test(options.tunnelId))
    throw new TunnelError('CONFIG_ERROR', `tunnelId must be the tunnel's UUID, not "${options.tunnelId}"`, {
      hint: 'Find it with `cloudflared tunnel list`, or leave it out: Band reads it from the credentials file.',
    });
  const platform = options.platform ?? process.platform;
  const warnings: string[] = [];
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw invalid(
      code === 'ENOENT'
        ? `The tunnel credentials file ${path} does not exist`
        : `Cannot read the tunnel credentials file ${path} (${code ?? String(error)})`,
      code === 'ENOENT' ? `Check tunnel.credentialsFile. ${CREATE_HINT}` : CREATE_HINT,
      error,
    );
  }
  if (!info.isFile()) throw invalid(`The tunnel credentials file ${path} is not a regular file`);
  if (info.nlink > 1)
    throw invalid(
      `The tunnel credentials file ${path} has ${info.nlink} hard links; Band does not read hard-linked ` +
        `files (another link may be anywhere)`,
      `Copy it to a file of its own: cp ${path} ${path}.band && chmod 600 ${path}.band, and use that.`,
    );
  if (platform !== 'win32') {
    if ((info.mode & 0o004) !== 0)
      throw invalid(
        `The tunnel credentials file ${path} is readable by every ` +
          `user of this machine (mode ${(info.mode & 0o777).toString(8)}); whoever reads it can run your tunnel`,
        `Restrict it: chmod 600 ${path}`,
      );
    if ((info.mode & 0o040) !== 0)
      warnings.push(
        `${path} is readable by its group (mode ${(info.mode & 0o777).toString(8)}); consider chmod 600 ${path}`,
      );
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw invalid(
      `Cannot read the tunnel credentials file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
      CREATE_HINT,
      error,
    );
  }
  if (/-----BEGIN /.test(text) || /\.pem$/i.test(path))
    throw invalid(
      `${path} is an origin certificate (cert.pem from \`cloudflared tunnel login\`), not a tunnel credentials file`,
      'The credentials file is the .json that `cloudflared tunnel create` wrote, ' +
        'named after the tunnel id: ~/.cloudflared/<TunnelID>.json.',
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(`The tunnel credentials file ${path} is not valid JSON`, CREATE_HINT, error);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalid(`The tunnel credentials file ${path} is not a JSON object`);
  const obj = parsed as Record<string, unknown>;
  const tunnelId = field(obj, 'TunnelID');
  const accountTag = field(obj, 'AccountTag');
  const secret = field(obj, 'TunnelSecret');
  const fileId = typeof tunnelId === 'string' && UUID.test(tunnelId) ? tunnelId.toLowerCase() : undefined;
  const missing = [
    fileId || (options.tunnelId && tunnelId === undefined) ? undefined : 'TunnelID',
    typeof accountTag === 'string' && accountTag ? undefined : 'AccountTag',
    typeof secret === 'string' && secret ? undefined : 'TunnelSecret',
  ].filter((m): m is string => Boolean(m));
  if (missing.length)
    throw invalid(
      `The tunnel credentials file ${path} has no valid ${missing.join(', ')}`,
      missing.includes('TunnelID') && !missing.includes('TunnelSecret')
        ? 'Files from cloudflared before 2020.11 lack TunnelID: give the tunnel id too (tunnelId), ' +
            'or recreate the file with `cloudflared tunnel token --cred-file <file> <tunnel>`.'
        : CREATE_HINT,
    );
  const wanted = options.tunnelId?.toLowerCase();
  if (fileId && wanted && fileId !== wanted)
    throw invalid(
      `The tunnel credentials file ${path} is for tunnel ${fileId}, not ${wanted}`,
      'Give the credentials file of that tunnel (~/.cloudflared/<TunnelID>.json), or leave the tunnel id out.',
    );
  const name = field(obj, 'TunnelName');
  return {
    path,
    tunnelId: (fileId ?? wanted) as string,
    accountTag: accountTag as string,
    tunnelName: typeof name === 'string' && name ? name : undefined,
    warnings,
  };
}

/** A YAML double-quoted scalar: JSON's string syntax is a subset of it. */
const q = (s: string): string => JSON.stringify(s);

/**
 * The config Band writes for a locally managed tunnel: this tunnel and credentials, `hostname` to Band's origin
 * (`url`), and the 404 catch-all cloudflared requires as the last rule. Exported for tests and the README.
 */
export function buildLocalConfig(options: {
  tunnelId: string;
  credentialsFile: string;
  hostname: string;
  url: string;
}): string {
  return [
    '# Written by Band for a locally managed tunnel; rewritten at each start.',
    `tunnel: ${q(options.tunnelId)}`,
    `credentials-file: ${q(options.credentialsFile)}`,
    'ingress:',
    `  - hostname: ${q(options.hostname.toLowerCase())}`,
    `    service: ${q(options.url)}`,
    `  - service: ${q('http_status:404')}`,
    '',
  ].join('\n');
}
