// `band tunnel setup|start|stop|status`: remote access through the server's Cloudflare tunnel.
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { writeFileAtomic } from '@band/settings';
import { Command } from 'commander';
import { isLoopbackHost } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, type Style } from '../output.js';

export interface TunnelStatusView {
  state: string;
  /** While starting: `connecting`, then `dns` (a new quick-tunnel name resolving) or `check` (a named hostname checked). */
  phase?: string | null;
  /** `quick` or `named` (older servers do not say). */
  mode?: string;
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
  const state = status.state === 'ready' ? style.green(status.state) : status.state === 'failed' ? style.red(status.state) : status.state;
  const phase = status.phase === 'dns' ? 'waiting for DNS' : status.phase === 'check' ? 'checking the hostname through the tunnel' : status.phase;
  const lines = [
    `state:       ${state}${phase ? ` (${phase})` : ''}`,
    ...(status.mode ? [`mode:        ${status.mode}`] : []),
    `url:         ${status.url ?? (status.stableUrl ? `- (when running: ${status.stableUrl})` : '-')}`,
    ...(status.origin !== undefined ? [`origin:      ${status.origin ?? '-'}`] : []),
    `started:     ${formatTime(status.startedAt)}`,
    `cloudflared: ${status.cloudflaredVersion ?? '-'}`,
  ];
  if (status.error) lines.push(`error:       ${status.error.message}`, ...(status.error.hint ? [`hint:        ${status.error.hint}`] : []));
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

/** A tunnel token from Cloudflare's dashboard is base64 JSON with the account (`a`), tunnel id (`t`) and secret (`s`). */
function checkTunnelToken(token: string, from: string): void {
  let parsed: { a?: unknown; t?: unknown; s?: unknown } | undefined;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as typeof parsed;
  } catch {}
  if (!parsed || typeof parsed.t !== 'string' || typeof parsed.a !== 'string' || typeof parsed.s !== 'string') {
    throw new CliError('USAGE', `${from} does not hold a Cloudflare tunnel token`, {
      hint: "Copy the token from Cloudflare's dashboard (Networks > Tunnels > your tunnel > the install command: the long `eyJ…` value after --token).",
    });
  }
}

export interface TunnelSetupResult {
  mode: 'named';
  hostname: string;
  tokenFile: string;
  originPort: number;
  /** The public URL once the tunnel runs. */
  url: string;
  /** The service to enter for the public hostname in Cloudflare's dashboard. */
  origin: string;
}

export function renderSetup(r: TunnelSetupResult): string {
  return [
    `Saved: tunnel.mode named, tunnel.hostname ${r.hostname}, tunnel.tokenFile ${r.tokenFile}, tunnel.originPort ${r.originPort}`,
    '',
    "In Cloudflare's dashboard (Zero Trust > Networks > Tunnels > your tunnel > Public Hostname > Add a public hostname):",
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
    .option('--origin-port <port>', 'the local port cloudflared forwards to (tunnel.originPort)', '3457')
    .addHelpText(
      'after',
      "\nExamples:\n  band tunnel setup --hostname band.example.com --token-file ~/.cloudflared/band.token\n  pbpaste | band tunnel setup --hostname band.example.com --token-stdin\n\nSee docs/named-tunnel.md.",
    )
    .action(async (opts: { hostname: string; tokenFile?: string; tokenStdin?: boolean; originPort: string }) => {
      const hostname = opts.hostname.trim().toLowerCase().replace(/\.$/, '');
      if (!HOSTNAME.test(hostname)) {
        throw new CliError('USAGE', `--hostname must be a hostname such as band.example.com, not "${opts.hostname}"`, {
          hint: 'No https://, no port, no path: the public hostname you add to the tunnel in Cloudflare.',
        });
      }
      const originPort = Number(opts.originPort);
      if (!Number.isInteger(originPort) || originPort < 1 || originPort > 65535) {
        throw new CliError('USAGE', `--origin-port must be a port number (1-65535), not "${opts.originPort}"`);
      }
      if (Boolean(opts.tokenFile) === Boolean(opts.tokenStdin)) {
        throw new CliError('USAGE', 'Give exactly one of --token-file <file> or --token-stdin', {
          hint: 'The token never goes on the command line: every local user could read it there.',
        });
      }
      // The token file is read by the server's cloudflared: this must be the server's machine.
      if (!isLoopbackHost(new URL(ctx.connection.serverUrl).hostname)) {
        throw new CliError('USAGE', `band tunnel setup runs on the server's machine (BAND_SERVER_URL is ${ctx.connection.serverUrl})`);
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
          throw new CliError('USAGE', `Cannot read the token file ${tokenFile}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
        }
        checkTunnelToken(token, tokenFile);
      }
      const current = (await ctx.client.settings.get.query()) as { tunnel?: Record<string, unknown> };
      await ctx.client.settings.set.mutate({
        key: 'tunnel',
        value: { ...(current.tunnel ?? {}), mode: 'named', hostname, tokenFile, originPort },
      });
      const result: TunnelSetupResult = {
        mode: 'named',
        hostname,
        tokenFile,
        originPort,
        url: `https://${hostname}`,
        origin: `http://127.0.0.1:${originPort}`,
      };
      ctx.out.print(result, renderSetup);
    });

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
          throw new CliError('ERROR', `The tunnel did not start: ${(error as Error).message.split('\n')[0]}`, { hint: data.hint, cause: error });
        }
        throw error;
      } finally {
        sub.unsubscribe();
      }
      if (status.state !== 'ready' && status.state !== 'degraded') {
        throw new CliError('ERROR', status.error?.message ?? `The tunnel did not start (state: ${status.state})`, { hint: status.error?.hint });
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
