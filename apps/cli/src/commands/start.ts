// `band start`: the Band server in the foreground, headless (no browser, no desktop window).
import { Command, InvalidArgumentError } from 'commander';
import type { CliContext } from '../context.js';
import { hintOf } from '@band/internal';
import { CliError } from '../errors.js';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < 0 || port > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535');
  return port;
}

export function startCommand(ctx: CliContext): Command {
  return new Command('start')
    .description('Run the Band server in the foreground until Ctrl+C (headless)')
    .option(
      '--port <port>',
      'listen on this port instead of webServerPort from settings.json (0: any free port)',
      parsePort,
    )
    .option('--tunnel', 'also start the Cloudflare tunnel and print its URL')
    .option('--qr', 'with --tunnel: draw a QR code of a one-time phone sign-in link (stderr)')
    .action(async (opts: { port?: number; tunnel?: boolean; qr?: boolean }) => {
      ctx.handleInterrupt();
      const debug = ctx.env.BAND_DEBUG === '1';
      const logger = {
        debug: (message: string) => {
          if (debug) ctx.err.progress(message);
        },
        info: (message: string) => ctx.err.progress(message),
        warn: (message: string) => ctx.err.warn(message),
        error: (message: string) => ctx.err.error(message),
      };
      ctx.err.progress('Starting Band…');
      // Loaded lazily: every other command stays fast and does not load Next. The process entry (one prebuilt file)
      // starts faster than the library's module graph (issue 21).
      const { startServer } = await import('@band/server/start');
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer({ home: ctx.connection.home, port: opts.port, logger, env: ctx.env });
      } catch (error) {
        const message = (error as Error).message || 'The server did not start';
        throw new CliError('ERROR', message, { hint: hintOf(error), cause: error });
      }
      const stopped = new Promise<void>((resolve) => {
        if (ctx.signal.aborted) resolve();
        else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      try {
        const signInUrl = server.createSignInUrl();
        let tunnelUrl: string | null = null;
        if (opts.tunnel) {
          ctx.err.progress('Starting the tunnel…');
          // A tunnel that cannot start is reported; the local server keeps running.
          try {
            const status = await server.api.services.tunnel.start();
            if (status.state !== 'ready' && status.state !== 'degraded') {
              ctx.err.error(status.error?.message ?? `The tunnel did not start (${status.state})`, status.error?.hint);
            } else tunnelUrl = status.url;
          } catch (error) {
            ctx.err.error(`The tunnel did not start: ${(error as Error).message ?? String(error)}`, hintOf(error));
          }
        }
        ctx.out.print({ url: server.url, signInUrl, tunnelUrl, home: server.home, port: server.port }, (d, style) =>
          [
            `Band is running at ${style.bold(d.url)}`,
            `Open the dashboard (signed in; works once, for 2 minutes): ${d.signInUrl}`,
            ...(d.tunnelUrl ? [`Tunnel: ${d.tunnelUrl}`] : []),
            `Home: ${d.home}`,
            'Press Ctrl+C to stop. `band open` gives a new sign-in link.',
            '',
          ].join('\n'),
        );
        if (tunnelUrl && opts.qr) {
          const pairing = server.gate.createPairingCode('tunnel');
          const { default: qrcode } = await import('qrcode-terminal');
          const qr = await new Promise<string>((resolve) => qrcode.generate(pairing.url, { small: true }, resolve));
          ctx.err.write(`${qr}\n`);
          ctx.err.info(`Scan to sign in on your phone (works once, for 2 minutes): ${pairing.url}`);
        }
        await stopped;
        ctx.err.progress('Stopping Band…');
      } finally {
        await server.close();
      }
      ctx.err.progress('Band stopped.');
    });
}
