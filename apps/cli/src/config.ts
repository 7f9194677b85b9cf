// Where the CLI connects and with which credentials. Precedence: flag > environment > settings > default.
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { CliError } from './errors.js';

export type OutputFormat = 'text' | 'json';

/** Where the token came from, named in "unauthorized" errors (never the token itself). */
export type TokenSource =
  | { kind: 'env'; name: 'BAND_TOKEN' }
  | { kind: 'settings'; file: string }
  | { kind: 'none'; reason: string };

export interface Connection {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:3456 */
  serverUrl: string;
  serverUrlSource: 'BAND_SERVER_URL' | 'settings' | 'default';
  home: string;
  token: string | null;
  tokenSource: TokenSource;
}

export const DEFAULT_PORT = 3456;

/** `text` or `json`: the `--output` flag, else `BAND_OUTPUT`, else text. */
export function resolveOutputFormat(flag: string | undefined, env: NodeJS.ProcessEnv): OutputFormat {
  const value = flag ?? (env.BAND_OUTPUT?.trim() || undefined) ?? 'text';
  if (value !== 'text' && value !== 'json') {
    const from = flag !== undefined ? '--output' : 'BAND_OUTPUT';
    throw new CliError('USAGE', `${from} must be "text" or "json", not "${value}"`);
  }
  return value;
}

/** True when the URL's host is this machine (localhost, 127.0.0.0/8, ::1). */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

async function portFromSettings(home: string): Promise<number | undefined> {
  try {
    const raw = JSON.parse(await readFile(join(home, 'settings.json'), 'utf8')) as { webServerPort?: unknown };
    const port = raw?.webServerPort;
    return typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

function normalizeServerUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError('USAGE', `BAND_SERVER_URL is not a URL: ${value}`, {
      hint: 'Use e.g. http://127.0.0.1:3456 or https://band.example.com',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError('USAGE', `BAND_SERVER_URL must be http:// or https://, not ${url.protocol}`);
  }
  url.search = '';
  url.hash = '';
  return url.toString().replace(/\/+$/, '');
}

/** Reads the connection settings. Does not contact the server; call `assertSafeTransport` before using the token. */
export async function resolveConnection(env: NodeJS.ProcessEnv): Promise<Connection> {
  // Loaded here, not at startup: `band --version`, `--help` and `completion` stay fast.
  const { readTokenSecret, resolveBandHome } = await import('@band/settings');
  const home = resolveBandHome(env);
  let serverUrl: string;
  let serverUrlSource: Connection['serverUrlSource'];
  const fromEnv = env.BAND_SERVER_URL?.trim();
  if (fromEnv) {
    serverUrl = normalizeServerUrl(fromEnv);
    serverUrlSource = 'BAND_SERVER_URL';
  } else {
    const port = await portFromSettings(home);
    // 127.0.0.1, not `localhost`: the name may resolve to [::1] first, where another local user could listen
    // (issue 16 #1). Band always binds 127.0.0.1.
    serverUrl = `http://127.0.0.1:${port ?? DEFAULT_PORT}`;
    serverUrlSource = port ? 'settings' : 'default';
  }

  let token: string | null = null;
  let tokenSource: TokenSource;
  const envToken = env.BAND_TOKEN?.trim();
  if (envToken) {
    token = envToken;
    tokenSource = { kind: 'env', name: 'BAND_TOKEN' };
  } else {
    const file = join(home, 'settings.json');
    try {
      token = await readTokenSecret(home);
      tokenSource = { kind: 'settings', file };
    } catch (error) {
      // No token yet: the request will fail as "server not running" or "unauthorized", which says more.
      const reason = (error as Error).message || `no tokenSecret in ${file}`;
      tokenSource = { kind: 'none', reason };
    }
  }

  return { serverUrl, serverUrlSource, home, token, tokenSource };
}

/** Refuses to put the token on the wire in clear text to another machine (auth.md §3.11). */
export function assertSafeTransport(connection: Pick<Connection, 'serverUrl' | 'token'>): void {
  if (!connection.token) return;
  const url = new URL(connection.serverUrl);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    throw new CliError('INSECURE_TRANSPORT', `Refusing to send the Band token over plain HTTP to ${url.host}`, {
      hint:
        'Use the https:// tunnel URL (band tunnel start on the server ' +
        'machine), or an http://127.0.0.1 URL on the same machine.',
    });
  }
}

/** A sentence naming where the token came from, for "unauthorized" errors. */
export function describeTokenSource(source: TokenSource): string {
  switch (source.kind) {
    case 'env':
      return 'the token from BAND_TOKEN';
    case 'settings':
      return `the tokenSecret from ${source.file}`;
    case 'none':
      return `no token (BAND_TOKEN is unset and ${source.reason.replace(/\.$/, '')})`;
  }
}
