// `band status`: is the server up, which version, and the tunnel.
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatDuration } from '../output.js';

export function statusCommand(ctx: CliContext): Command {
  return new Command('status')
    .description('Show whether the server is running, its version and the tunnel')
    .action(async () => {
      const [health, tunnel] = await Promise.all([ctx.client.health.query(), ctx.client.tunnel.status.query()]);
      const data = { url: ctx.connection.serverUrl, health, tunnel };
      ctx.out.print(data, (d, style) => {
        const uptime = formatDuration(d.health.uptimeMs);
        const tunnelUrl = d.tunnel.url ? ` ${d.tunnel.url}` : '';
        const tunnelError = d.tunnel.error ? ` (${d.tunnel.error.message})` : '';
        const lines = [
          `${style.green('●')} Band ${d.health.version} is running at ${d.url} (up ${uptime})`,
          `  home:    ${ctx.connection.home}`,
          `  tunnel:  ${d.tunnel.state}${tunnelUrl}${tunnelError}`,
        ];
        return `${lines.join('\n')}\n`;
      });
    });
}
