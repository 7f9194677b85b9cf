// `band token show|rotate`: the token in settings.json, the root key of this Band (auth.md). Both are local only:
// they read and write $BAND_HOME/settings.json, never a remote server's.
import { generateTokenSecret, loadSettings, readTokenSecret } from '@band/settings';
import { Command } from 'commander';
import { isLoopbackHost } from '../config.js';
import type { CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { printTunnelQr } from './tunnel.js';

function assertLocal(ctx: CliContext, what: string): void {
  // BAND_SERVER_URL at another machine: this machine's settings.json is not that server's token.
  const serverUrl = ctx.env.BAND_SERVER_URL?.trim();
  if (serverUrl && !isLoopbackHost(new URL(serverUrl).hostname)) {
    throw new CliError(
      'USAGE',
      `band token ${what} works on the server's own machine only (BAND_SERVER_URL is ${serverUrl})`,
      {
        hint: "Run it where Band runs; it reads that machine's settings.json.",
      },
    );
  }
}

export function tokenCommand(ctx: CliContext): Command {
  const token = new Command('token').description(
    'The token in settings.json: show it, or rotate it (signs every device out)',
  );

  token
    .command('show')
    .description('Print the token (to paste into the sign-in page); local only, read from $BAND_HOME/settings.json')
    .action(async () => {
      assertLocal(ctx, 'show');
      const secret = await readTokenSecret(ctx.connection.home);
      ctx.out.print({ token: secret }, (d) => `${d.token}\n`);
      if (ctx.isTTY)
        ctx.err.info(
          "Anyone with this token controls Band on this machine: paste it only into Band's own sign-in page.",
        );
    });

  token
    .command('rotate')
    .description(
      'Replace the token: every browser and phone is signed out, ' +
        'every open socket closed; prints the new QR code when a tunnel runs',
    )
    .action(async () => {
      assertLocal(ctx, 'rotate');
      const settings = await loadSettings({ home: ctx.connection.home });
      let secret: string;
      try {
        secret = generateTokenSecret();
        await settings.update((s) => ({ ...s, tokenSecret: secret }));
      } finally {
        await settings.close();
      }
      ctx.err.info(
        'New token saved. A running server signs every device out and closes every socket as soon as it sees it.',
      );
      if (ctx.env.BAND_TOKEN)
        ctx.err.warn('BAND_TOKEN in your environment still holds the old token: update it (`band token show`).');
      const result: { rotated: true; server: 'running' | 'not running'; tunnelUrl: string | null } = {
        rotated: true,
        server: 'not running',
        tunnelUrl: null,
      };
      // Talk to the running server with the new token (it may take a moment to notice the file changed).
      const clientModule = await import('../client.js');
      const connection = {
        ...ctx.connection,
        token: secret,
        tokenSource: { kind: 'settings' as const, file: settings.file },
      };
      let handle: ReturnType<typeof clientModule.createBandClient> | undefined;
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          const pinned = clientModule.pinConnection(
            connection,
            await clientModule.verifyServer(connection, { timeoutMs: 2_000 }),
          );
          handle = clientModule.createBandClient(pinned);
          break;
        } catch (error) {
          const code = (error as { code?: string }).code;
          // Not running: nothing to sign out. Still the old token: wait for the server to reload settings.json.
          if (code !== 'SERVER_UNVERIFIED' || Date.now() > deadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      if (handle) {
        try {
          result.server = 'running';
          const status = await handle.client.tunnel.status.query();
          if (status.state === 'ready' || status.state === 'degraded') {
            result.tunnelUrl = status.url;
            await printTunnelQr({ client: handle.client, err: ctx.err });
          }
        } finally {
          handle.close();
        }
      }
      ctx.out.print(result, (r) =>
        r.server === 'running'
          ? `Token rotated; every device was signed out.` +
            `${r.tunnelUrl ? ` Scan the new code to sign in again through ${r.tunnelUrl}.` : ''}\n`
          : 'Token rotated. The server is not running: the new token applies when it starts.\n',
      );
    });
  return token;
}
