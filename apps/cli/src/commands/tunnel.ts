// `band tunnel start|stop|status`: remote access through the server's Cloudflare tunnel.
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { formatTime, type Style } from '../output.js';

export interface TunnelStatusView {
  state: string;
  /** While starting: `connecting`, then `dns` (waiting for a new quick-tunnel name to resolve). */
  phase?: string | null;
  url: string | null;
  /** The cloudflared the server runs (from `cloudflared --version`), once found. */
  cloudflaredVersion?: string | null;
  error: { code: string; message: string; hint?: string } | null;
  startedAt: number | null;
}

export function renderTunnelStatus(status: TunnelStatusView, style: Style): string {
  const state = status.state === 'ready' ? style.green(status.state) : status.state === 'failed' ? style.red(status.state) : status.state;
  const lines = [
    `state:       ${state}${status.phase ? ` (${status.phase === 'dns' ? 'waiting for DNS' : status.phase})` : ''}`,
    `url:         ${status.url ?? '-'}`,
    `started:     ${formatTime(status.startedAt)}`,
    `cloudflared: ${status.cloudflaredVersion ?? '-'}`,
  ];
  if (status.error) lines.push(`error:       ${status.error.message}`, ...(status.error.hint ? [`hint:        ${status.error.hint}`] : []));
  return `${lines.join('\n')}\n`;
}

/** A QR code of a one-time tunnel sign-in link, drawn on stderr. */
export async function printTunnelQr(ctx: CliContext): Promise<void> {
  const pairing = await ctx.client.auth.createPairingCode.mutate({ listener: 'tunnel' });
  const { default: qrcode } = await import('qrcode-terminal');
  const qr = await new Promise<string>((resolve) => qrcode.generate(pairing.url, { small: true }, resolve));
  ctx.err.write(`${qr}\n`);
  ctx.err.info(`Scan to sign in on your phone (works once, for 2 minutes): ${pairing.url}`);
}

export function tunnelCommand(ctx: CliContext): Command {
  const tunnel = new Command('tunnel').description('Reach Band from your phone through a Cloudflare tunnel');

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
          const label = s.phase === 'dns' ? `${s.state} (waiting for the new hostname to resolve)` : s.state;
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
    .description('Show the tunnel state, its URL and the cloudflared version')
    .action(async () => {
      const status = await ctx.client.tunnel.status.query();
      ctx.out.print(status, renderTunnelStatus);
    });
  return tunnel;
}
