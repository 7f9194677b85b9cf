// `band devices list|revoke`: the browser sessions signed in to this server.
import { Command } from 'commander';
import type { CliContext } from '../context.js';
import { formatTime, renderTable } from '../output.js';

export function devicesCommand(ctx: CliContext): Command {
  const devices = new Command('devices').description('Signed-in browsers and phones');
  devices
    .command('list')
    .description('List signed-in devices')
    .action(async () => {
      const rows = await ctx.client.devices.list.query();
      ctx.out.print(rows, (r, style) =>
        renderTable(
          r,
          [
            { header: 'ID', value: (d) => d.id },
            { header: 'LISTENER', value: (d) => d.listener },
            { header: 'LABEL', value: (d) => d.label },
            { header: 'ADDRESS', value: (d) => d.address },
            { header: 'LAST SEEN', value: (d) => formatTime(d.lastSeenAt) },
          ],
          style,
        ),
      );
    });
  devices
    .command('revoke')
    .description('Sign a device out and close its connections')
    .argument('<id>', 'device id from `band devices list`')
    .action(async (id: string) => {
      await ctx.client.devices.revoke.mutate({ id });
      ctx.out.print({ id, revoked: true }, () => `Revoked ${id}\n`);
    });
  return devices;
}
