// `band open`: the dashboard in the default browser, signed in with a one-time code that never appears on a command
// line: the browser gets a 0600 redirect file in the Band home, removed once the code is used or expired.
import { spawn } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { sweepRedirectFiles, writeRedirectFile } from '@band/auth/client';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import type { CliContext } from '../context.js';

/** The command that opens a URL: `BROWSER` when set, else the platform's opener. */
export function openerFor(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): { command: string; args: string[] } {
  const browser = env.BROWSER?.trim();
  if (browser) return { command: browser, args: [] };
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  return { command: 'xdg-open', args: [] };
}

/** Runs the opener; resolves false when it does not exist or fails (then the caller prints the link). */
export function openUrl(
  url: string,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform = process.platform,
): Promise<boolean> {
  const { command, args } = openerFor(platform, env);
  return new Promise((resolve) => {
    let child: ReturnType<typeof spawn>;
    try {
      // The URL is one argv element, never a shell string.
      child = spawn(command, [...args, url], { stdio: 'ignore', env, detached: platform !== 'win32' });
    } catch {
      resolve(false);
      return;
    }
    // Openers hand the URL to the browser and exit; a browser used as BROWSER may keep running.
    const timer = setTimeout(() => {
      child.unref();
      resolve(true);
    }, 3_000);
    child.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** How often `band open` asks whether the browser has signed in yet. */
const SIGN_IN_POLL_MS = 250;

export function openCommand(ctx: CliContext): Command {
  return new Command('open')
    .description(
      'Open the dashboard in the default browser, signed in with a one-time link (through a 0600 redirect ' +
        'file in BAND_HOME, so the code is never on a command line; ' +
        'waits until the browser has signed in, at most 2 minutes)',
    )
    .option('--print', 'print the link instead of opening a browser')
    .action(async (opts: { print?: boolean }) => {
      const home = ctx.connection.home;
      await sweepRedirectFiles(home, 5 * 60_000);
      const before = opts.print ? [] : await ctx.client.devices.list.query();
      const pairing = await ctx.client.auth.createPairingCode.mutate({ listener: 'local' });
      if (opts.print) {
        ctx.out.print(pairing, (p) => `${p.url}\n`);
        return;
      }
      ctx.handleInterrupt();
      const file = await writeRedirectFile(home, pairing.url);
      try {
        const opened = await openUrl(pathToFileURL(file).href, ctx.env);
        if (!opened) {
          ctx.err.info(
            'No browser opener found (xdg-open/open/start, or BROWSER): open this link (works once, for 2 minutes):',
          );
          ctx.out.print(pairing, (p) => `${p.url}\n`);
          return;
        }
        ctx.err.info('Opened the dashboard in your browser; waiting for it to sign in (Ctrl+C to stop)…');
        const known = new Set(before.map((d) => d.id));
        const signedIn = await waitFor(
          async () => (await ctx.client.devices.list.query()).some((d) => d.listener === 'local' && !known.has(d.id)),
          pairing.expiresAt,
          ctx.signal,
        );
        if (ctx.signal.aborted) throw ctx.signal.reason; // Ctrl+C: exit 130, after the file is gone (finally)
        if (signedIn) ctx.err.info('Signed in.');
        else ctx.err.warn('The browser did not sign in before the one-time link expired: run `band open` again.');
        ctx.out.print({ ...pairing, signedIn }, () => '');
      } finally {
        // The code is burned or expired (or we are stopping): the file is no use to anyone now.
        await rm(file, { force: true });
      }
    });
}

/** Polls `check` until it is true (true), `deadline` passes or `signal` aborts (false). */
async function waitFor(check: () => Promise<boolean>, deadline: number, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted && Date.now() < deadline) {
    if (await check()) return true;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, SIGN_IN_POLL_MS);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
  }
  return false;
}
