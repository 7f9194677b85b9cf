// `band open`: the dashboard in the default browser, signed in with a one-time code.
import { spawn } from 'node:child_process';
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
export function openUrl(url: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): Promise<boolean> {
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

export function openCommand(ctx: CliContext): Command {
  return new Command('open')
    .description('Open the dashboard in the default browser, signed in with a one-time link')
    .option('--print', 'print the link instead of opening a browser')
    .action(async (opts: { print?: boolean }) => {
      const pairing = await ctx.client.auth.createPairingCode.mutate({ listener: 'local' });
      const opened = opts.print ? false : await openUrl(pairing.url, ctx.env);
      if (opened) ctx.err.info('Opened the dashboard in your browser.');
      else if (!opts.print) ctx.err.info('No browser opener found (xdg-open/open/start, or BROWSER): open this link (works once, for 2 minutes):');
      ctx.out.print(pairing, (p) => (opened ? '' : `${p.url}\n`));
    });
}
