// `band settings` and `band settings set KEY VALUE`.
import { Command } from 'commander';
import type { CliContext } from '../context.js';

/**
 * What `settings set` sends: JSON objects and arrays are parsed (e.g. `labels '["a"]'`); anything else is sent as
 * the string typed, and the server's settings schema coerces it (`webServerPort 4000`, `autoStartTunnel true`).
 */
export function parseSettingValue(raw: string): unknown {
  const trimmed = raw.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      return raw;
    }
  }
  return raw;
}

function pickPath(data: unknown, key: string): unknown {
  let current = data;
  for (const part of key.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

export function settingsCommand(ctx: CliContext): Command {
  const settings = new Command('settings')
    .description('Print the live settings as pretty JSON (the token is redacted)')
    .addHelpText(
      'after',
      '\nExamples:\n  band settings\n  band settings --output json | jq .webServerPort\n' +
        '  band settings set webServerPort 4000\n  band settings set notifications.soundOnNeedsAttention false',
    )
    .action(async () => {
      const data = await ctx.client.settings.get.query();
      // Text: pretty JSON; --output json: the same JSON without the trailing newline, for piping.
      ctx.out.json(data, { newline: ctx.out.format !== 'json' });
    });

  settings
    .command('set')
    .description('Change one setting (dotted KEY), validated by the settings schema')
    .argument(
      '<key>',
      'dotted key, e.g. webServerPort, notifications.soundOnNeedsAttention ' +
        'or codingAgents.0.command (a number picks a list entry)',
    )
    .argument('<value>', 'new value; JSON for objects and arrays')
    .action(async (key: string, value: string) => {
      const data = await ctx.client.settings.set.mutate({ key, value: parseSettingValue(value) });
      ctx.out.print(data, (d) => `${key} = ${JSON.stringify(pickPath(d, key))}\n`);
    });
  return settings;
}
