// `band tunnel setup|start|stop|status`: remote access through the server's Cloudflare tunnel.
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '@band/settings';
import { Command } from 'commander';
import { isLoopbackHost } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, type Style } from '../output.js';

export interface TunnelStatusView {
  state: string;
  /**
   * While starting: `connecting`, then `dns` (a new quick-tunnel name resolving) or `check` (a named hostname checked).
   */
  phase?: string | null;
  /** `quick` or `named` (older servers do not say). */
  mode?: string;
  /**
   * A named tunnel's kind: `remote` (a token, ingress in Cloudflare's dashboard) or `local` (a credentials file,
   * ingress by Band).
   */
  management?: 'local' | 'remote' | null;
  /** A locally managed tunnel's UUID. */
  tunnelId?: string | null;
  url: string | null;
  /** A named tunnel's stable URL, even while stopped. */
  stableUrl?: string | null;
  /** The local URL cloudflared forwards to (for a named tunnel: the service to enter in Cloudflare). */
  origin?: string | null;
  /** The cloudflared the server runs (from `cloudflared --version`), once found. */
  cloudflaredVersion?: string | null;
  error: { code: string; message: string; hint?: string } | null;
  startedAt: number | null;
}

export function renderTunnelStatus(status: TunnelStatusView, style: Style): string {
  const state =
    status.state === 'ready'
      ? style.green(status.state)
      : status.state === 'failed'
        ? style.red(status.state)
        : status.state;
  const phase =
    status.phase === 'dns'
      ? 'waiting for DNS'
      : status.phase === 'check'
        ? 'checking the hostname through the tunnel'
        : status.phase;
  const lines = [
    `state:       ${state}${phase ? ` (${phase})` : ''}`,
    ...(status.mode
      ? [
          `mode:        ${status.mode}${
            status.management === 'local'
              ? ` (locally managed${status.tunnelId ? `, tunnel ${status.tunnelId}` : ''})`
              : status.management === 'remote'
                ? ' (managed in Cloudflare)'
                : ''
          }`,
        ]
      : []),
    `url:         ${status.url ?? (status.stableUrl ? `- (when running: ${status.stableUrl})` : '-')}`,
    ...(status.origin !== undefined ? [`origin:      ${status.origin ?? '-'}`] : []),
    `started:     ${formatTime(status.startedAt)}`,
    `cloudflared: ${status.cloudflaredVersion ?? '-'}`,
  ];
  if (status.error)
    lines.push(
      `error:       ${status.error.message}`,
      ...(status.error.hint ? [`hint:        ${status.error.hint}`] : []),
    );
  return `${lines.join('\n')}\n`;
}

/** A QR code of a one-time tunnel sign-in link, drawn on stderr. */
export async function printTunnelQr(ctx: Pick<CliContext, 'client' | 'err'>): Promise<void> {
  const pairing = await ctx.client.auth.createPairingCode.mutate({ listener: 'tunnel' });
  const { default: qrcode } = await import('qrcode-terminal');
  const qr = await new Promise<string>((resolve) => qrcode.generate(pairing.url, { small: true }, resolve));
  ctx.err.write(`${qr}\n`);
  ctx.err.info(`Scan to sign in on your phone (works once, for 2 minutes): ${pairing.url}`);
}

/** A hostname as Cloudflare's dashboard takes it: lower-case DNS labels, at least two, no scheme, port or path. */
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * A tunnel token from Cloudflare's dashboard is base64 JSON with the account (`a`), tunnel id (`t`) and secret (`s`).
 */
function checkTunnelToken(token: string, from: string): void {
  let parsed: { a?: unknown; t?: unknown; s?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as typeof parsed;
  } catch {}
  if (!parsed || typeof parsed.t !== 'string' || typeof parsed.a !== 'string' || typeof parsed.s !== 'string') {
    throw new CliError('USAGE', `${from} does not hold a Cloudflare tunnel token`, {
      hint:
        "Copy the token from Cloudflare's dashboard (Networks > Tunnels > your " +
        'tunnel > the install command: the long `eyJ…` value after --token).',
    });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A first look at a credentials file from `cloudflared tunnel create` (the server checks it fully at each start, with
 * @band/tunnel's readTunnelCredentials): a regular file of one link that other users cannot read, JSON with
 * TunnelID, AccountTag and TunnelSecret (keys in any case, as cloudflared reads them). Returns the tunnel id.
 */
async function checkCredentialsFile(
  file: string,
): Promise<{ tunnelId: string; tunnelName?: string; warning?: string }> {
  const usage = (message: string, hint: string) => new CliError('USAGE', message, { hint });
  const made =
    'Use the .json that `cloudflared tunnel create band` wrote: ' +
    '~/.cloudflared/<TunnelID>.json (see docs/named-tunnel.md).';
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(file);
  } catch (error) {
    throw usage(
      `Cannot read the credentials file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      made,
    );
  }
  if (!info.isFile()) throw usage(`${file} is not a regular file`, made);
  if (info.nlink > 1)
    throw usage(
      `${file} has ${info.nlink} hard links; Band does not read hard-linked files`,
      `Copy it to a file of its own (cp, then chmod 600) and give that.`,
    );
  let warning: string | undefined;
  if (process.platform !== 'win32' && (info.mode & 0o004) !== 0)
    throw usage(
      `${file} is readable by every ` +
        `user of this machine (mode ${(info.mode & 0o777).toString(8)}); whoever reads it can run your tunnel`,
      `chmod 600 ${file}`,
    );
  if (process.platform !== 'win32' && (info.mode & 0o040) !== 0)
    warning = `${file} is readable by its group; consider chmod 600 ${file}`;
  const text = await readFile(file, 'utf8');
  if (/-----BEGIN /.test(text))
    throw usage(
      `${file} is an origin certificate (cert.pem from \`cloudflared tunnel login\`), not a tunnel credentials file`,
      made,
    );
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {}
  const get = (name: string) =>
    parsed && typeof parsed === 'object'
      ? Object.entries(parsed).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1]
      : undefined;
  const tunnelId = get('TunnelID');
  if (
    typeof tunnelId !== 'string' ||
    !UUID.test(tunnelId) ||
    typeof get('AccountTag') !== 'string' ||
    typeof get('TunnelSecret') !== 'string'
  )
    throw usage(`${file} does not hold tunnel credentials (JSON with TunnelID, AccountTag and TunnelSecret)`, made);
  const name = get('TunnelName');
  return { tunnelId: tunnelId.toLowerCase(), tunnelName: typeof name === 'string' ? name : undefined, warning };
}

export type TunnelSetupResult = {
  mode: 'named';
  hostname: string;
  originPort: number;
  /** The public URL once the tunnel runs. */
  url: string;
  /** Where cloudflared forwards the hostname: Band's tunnel origin. */
  origin: string;
} & (
  | {
      /** Made in Cloudflare's dashboard, run with a token: its public hostname's service must be `origin`. */
      management: 'remote';
      tokenFile: string;
    }
  | {
      /** Made with `cloudflared tunnel create`: Band writes its ingress; Cloudflare needs only the DNS route. */
      management: 'local';
      credentialsFile: string;
      tunnelId: string;
      tunnelName?: string;
      /** The one command to run in Cloudflare's direction: creates the hostname's DNS record for this tunnel. */
      routeDns: string;
    }
);

export function renderSetup(r: TunnelSetupResult): string {
  if (r.management === 'local')
    return [
      `Saved: tunnel.mode named, tunnel.hostname ${r.hostname}, tunnel.credentialsFile ${r.credentialsFile}, ` +
        `tunnel.originPort ${r.originPort}`,
      '',
      `Locally managed tunnel ${r.tunnelId}${r.tunnelName ? ` (${r.tunnelName})` : ''}: ` +
        `Band writes its ingress (${r.hostname} -> ${r.origin}),`,
      "so there is no service to enter in Cloudflare's dashboard. " +
        'Route the hostname to the tunnel once (it creates the DNS record):',
      `  ${r.routeDns}`,
      '',
      `Then run \`band tunnel start\`: Band listens on ${r.origin} while the tunnel runs and serves ${r.url}.`,
      'Details and every error: docs/named-tunnel.md',
      '',
    ].join('\n');
  return [
    `Saved: tunnel.mode named, tunnel.hostname ${r.hostname}, tunnel.tokenFile ${r.tokenFile}, ` +
      `tunnel.originPort ${r.originPort}`,
    '',
    "In Cloudflare's dashboard (Zero Trust > Networks > Tunnels " +
      '> your tunnel > Public Hostname > Add a public hostname):',
    `  Hostname:  ${r.hostname}`,
    `  Service:   HTTP  127.0.0.1:${r.originPort}    (that is ${r.origin})`,
    '',
    `Then run \`band tunnel start\`: Band listens on ${r.origin} while the tunnel runs and serves ${r.url}.`,
    'Details and every error: docs/named-tunnel.md',
    '',
  ].join('\n');
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += chunk;
  return text;
}

export function tunnelCommand(ctx: CliContext): Command {
  const tunnel = new Command('tunnel').description('Reach Band from your phone through a Cloudflare tunnel');

  tunnel
    .command('setup')
    .description('Use a named tunnel (your hostname): save its settings and print what to enter in Cloudflare')
    .requiredOption('--hostname <host>', 'the public hostname, e.g. band.example.com')
    .option('--token-file <file>', 'a file holding the tunnel token (kept where it is; never on the command line)')
    .option('--token-stdin', 'read the token from stdin and save it to <BAND_HOME>/tunnel-token (0600)')
    .option(
      '--credentials-file <file>',
      'a locally managed tunnel: the <TunnelID>.json `cloudflared tunnel create` wrote (Band writes the ingress)',
    )
    .option('--origin-port <port>', 'the local port cloudflared forwards to (tunnel.originPort)', '3457')
    .addHelpText(
      'after',
      '\nExamples:\n  band tunnel setup --hostname band.example.com --token-file ~/.cloudflared/band.token\n' +
        '  pbpaste | band tunnel setup --hostname band.example.com --token-stdin\n  band tunnel setup --hostname ' +
        'band.example.com --credentials-file ~/.cloudflared/<TunnelID>.json\n\nSee docs/named-tunnel.md.',
    )
    .action(
      async (opts: {
        hostname: string;
        tokenFile?: string;
        tokenStdin?: boolean;
        credentialsFile?: string;
        originPort: string;
      }) => {
        const hostname = opts.hostname.trim().toLowerCase().replace(/\.$/, '');
        if (!HOSTNAME.test(hostname)) {
          throw new CliError(
            'USAGE',
            `--hostname must be a hostname such as band.example.com, not "${opts.hostname}"`,
            {
              hint: 'No https://, no port, no path: the public hostname you add to the tunnel in Cloudflare.',
            },
          );
        }
        const originPort = Number(opts.originPort);
        if (!Number.isInteger(originPort) || originPort < 1 || originPort > 65535) {
          throw new CliError('USAGE', `--origin-port must be a port number (1-65535), not "${opts.originPort}"`);
        }
        if ([opts.tokenFile, opts.tokenStdin, opts.credentialsFile].filter(Boolean).length !== 1) {
          throw new CliError(
            'USAGE',
            'Give exactly one of --token-file <file>, --token-stdin or --credentials-file <file>',
            {
              hint:
                "A tunnel made in Cloudflare's dashboard runs with its token (never on the command line: " +
                'every local user could read it there); one made with ' +
                '`cloudflared tunnel create` with its credentials file.',
            },
          );
        }
        // The token file is read by the server's cloudflared: this must be the server's machine.
        if (!isLoopbackHost(new URL(ctx.connection.serverUrl).hostname)) {
          throw new CliError(
            'USAGE',
            `band tunnel setup runs on the server's machine (BAND_SERVER_URL is ${ctx.connection.serverUrl})`,
          );
        }
        const current = (await ctx.client.settings.get.query()) as { tunnel?: Record<string, unknown> };
        const { tokenFile: _t, credentialsFile: _c, ...rest } = current.tunnel ?? {};
        const common = {
          mode: 'named' as const,
          hostname,
          originPort,
          url: `https://${hostname}`,
          origin: `http://127.0.0.1:${originPort}`,
        };
        if (opts.credentialsFile) {
          const credentialsFile = isAbsolute(opts.credentialsFile)
            ? opts.credentialsFile
            : resolve(ctx.cwd, opts.credentialsFile);
          const creds = await checkCredentialsFile(credentialsFile);
          if (creds.warning) ctx.err.info(`warning: ${creds.warning}`);
          await ctx.client.settings.set.mutate({
            key: 'tunnel',
            value: { ...rest, mode: 'named', hostname, credentialsFile, originPort },
          });
          const result: TunnelSetupResult = {
            ...common,
            management: 'local',
            credentialsFile,
            tunnelId: creds.tunnelId,
            ...(creds.tunnelName ? { tunnelName: creds.tunnelName } : {}),
            routeDns: `cloudflared tunnel route dns ${creds.tunnelId} ${hostname}`,
          };
          ctx.out.print(result, renderSetup);
          return;
        }
        let tokenFile: string;
        if (opts.tokenStdin) {
          const token = (await readStdin()).trim();
          checkTunnelToken(token, 'stdin');
          tokenFile = join(ctx.connection.home, 'tunnel-token');
          await writeFileAtomic(tokenFile, `${token}\n`);
        } else {
          tokenFile = isAbsolute(opts.tokenFile!) ? opts.tokenFile! : resolve(ctx.cwd, opts.tokenFile!);
          let token: string;
          try {
            token = (await readFile(tokenFile, 'utf8')).trim();
          } catch (error) {
            const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
            throw new CliError('USAGE', `Cannot read the token file ${tokenFile}: ${reason}`);
          }
          checkTunnelToken(token, tokenFile);
        }
        await ctx.client.settings.set.mutate({
          key: 'tunnel',
          value: { ...rest, mode: 'named', hostname, tokenFile, originPort },
        });
        const result: TunnelSetupResult = { ...common, management: 'remote', tokenFile };
        ctx.out.print(result, renderSetup);
      },
    );

  tunnel
    .command('start')
    .description('Start the tunnel; prints only the public URL on stdout (progress on stderr)')
    .option('--qr', 'also draw a QR code of a one-time sign-in link (stderr)')
    .action(async (opts: { qr?: boolean }) => {
      ctx.err.progress('Starting the tunnel…');
      // Progress from the server while the start mutation runs; best effort (the mutation is the source of truth).
      let last = '';
      const sub = ctx.client.tunnel.events.subscribe(undefined, {
        onData(status) {
          const s = status as TunnelStatusView;
          const label =
            s.phase === 'dns'
              ? `${s.state} (waiting for the new hostname to resolve)`
              : s.phase === 'check'
                ? `${s.state} (checking that ${s.stableUrl ?? 'the hostname'} reaches Band through Cloudflare)`
                : s.state;
          if (label !== last && s.state !== 'stopped') ctx.err.progress(`tunnel: ${label}`);
          last = label;
        },
        onError() {},
      });
      let status: TunnelStatusView;
      try {
        status = await ctx.client.tunnel.start.mutate();
      } catch (error) {
        // The tunnel's own failures (no cloudflared, rate limited, offline…) are errors (exit 1), not bad input.
        const data = (error as { data?: { code?: string; hint?: string } }).data;
        if (data?.code && data.code !== 'UNAUTHORIZED' && data.code !== 'FORBIDDEN') {
          throw new CliError('ERROR', `The tunnel did not start: ${(error as Error).message}`, {
            hint: data.hint,
            cause: error,
          });
        }
        throw error;
      } finally {
        sub.unsubscribe();
      }
      if (status.state !== 'ready' && status.state !== 'degraded') {
        throw new CliError('ERROR', status.error?.message ?? `The tunnel did not start (state: ${status.state})`, {
          hint: status.error?.hint,
        });
      }
      ctx.out.print(status, (s) => `${s.url}\n`);
      if (opts.qr) await printTunnelQr(ctx);
    });

  tunnel
    .command('stop')
    .description('Stop the tunnel: the public URL stops working and phone sessions are signed out')
    .action(async () => {
      const status = await ctx.client.tunnel.stop.mutate();
      ctx.out.print(status, () => 'Tunnel stopped\n');
    });

  tunnel
    .command('status')
    .description('Show the tunnel state, its mode, URL, origin and the cloudflared version')
    .action(async () => {
      const status = await ctx.client.tunnel.status.query();
      ctx.out.print(status, renderTunnelStatus);
    });
  return tunnel;
}
