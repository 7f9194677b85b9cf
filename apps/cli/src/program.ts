// The whole command tree in one place (STYLE §7); actions live in commands/<group>.ts.
import { Command, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import { chatsCommand } from './commands/chats.js';
import { completionCommand } from './commands/completion.js';
import { tokenCommand } from './commands/token.js';
import { devicesCommand } from './commands/devices.js';
import { openCommand } from './commands/open.js';
import { projectsCommand } from './commands/projects.js';
import { workspacesCommand } from './commands/workspaces.js';
import { settingsCommand } from './commands/settings.js';
import { startCommand } from './commands/start.js';
import { statusCommand } from './commands/status.js';
import { terminalsCommand } from './commands/terminals.js';
import { tunnelCommand } from './commands/tunnel.js';
import type { CliContext } from './context.js';
import { EXIT_CODE_HELP } from './errors.js';

export const VERSION: string = packageJson.version;

/** Commands that never talk to a running server (no token is read for them). */
export const OFFLINE_COMMANDS = new Set(['start', 'completion', 'token']);

export const ENVIRONMENT_HELP: ReadonlyArray<readonly [string, string]> = [
  ['BAND_SERVER_URL', 'server to talk to (default http://127.0.0.1:<webServerPort from settings.json, else 3456>)'],
  ['BAND_TOKEN', 'the token (default: tokenSecret from $BAND_HOME/settings.json); never accepted as a flag'],
  ['BAND_OUTPUT', 'default output format, text or json (--output wins)'],
  ['BAND_HOME', 'Band home directory (default ~/.band)'],
  ['NO_COLOR', 'set to disable colours (colours are only used on a terminal anyway)'],
];

function helpFooter(): string {
  const codes = EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padEnd(5)}${text}`).join('\n');
  const env = ENVIRONMENT_HELP.map(([name, text]) => `  ${name.padEnd(17)}${text}`).join('\n');
  return `\nEnvironment:\n${env}\n\nExit codes:\n${codes}\n`;
}

export function createProgram(ctx: CliContext): Command {
  const program = new Command('band')
    .description('Band: run coding agents in parallel workspaces, from this machine or your phone')
    .version(VERSION, '-V, --version', 'print the version')
    .addOption(
      new Option('-o, --output <format>', 'output format (default: $BAND_OUTPUT, else text)').choices(['text', 'json']),
    )
    .option('--debug', 'print stack traces of unexpected errors')
    .showSuggestionAfterError(true)
    .addHelpText('after', helpFooter());

  const groups = [
    startCommand(ctx),
    statusCommand(ctx),
    openCommand(ctx),
    settingsCommand(ctx),
    tunnelCommand(ctx),
    projectsCommand(ctx),
    workspacesCommand(ctx),
    chatsCommand(ctx),
    terminalsCommand(ctx),
    devicesCommand(ctx),
    tokenCommand(ctx),
    completionCommand(ctx, () => program),
  ];
  for (const group of groups) program.addCommand(group);
  return program;
}

/** Applies a setting to every command of the tree (addCommand does not inherit settings). */
export function forEachCommand(root: Command, fn: (cmd: Command) => void): void {
  fn(root);
  for (const sub of root.commands) forEachCommand(sub, fn);
}

/** `band tunnel start` → 'tunnel start'. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
