import { homedir } from 'node:os';
import { agentPackages, findExecutable } from '@band/agents';
import type { Principal } from '@band/auth';
import { isLocalOnlySetting, redactSettings, SettingsError, type Settings, type SettingsStore } from '@band/settings';
import { BandApiError } from '../errors.js';

export interface SettingsService {
  /** The settings with the token redacted: APIs never return the token (auth.md §3.1). */
  get(): Settings;
  /**
   * Sets one field by dotted path, validated by the settings schema. A remote principal (the tunnel) may set only
   * the keys of `remoteSettableKeys` and is shown errors without absolute paths; no principal means in-process.
   */
  set(path: string, value: unknown, principal?: Principal): Promise<Settings>;
}

/**
 * A coding agent's command must run: each entry of `codingAgents` that is new or whose command (or type) changed is
 * resolved like a shell would (a name on the server's PATH, or a path to an executable file). Entries that did not
 * change are not checked again, so an agent uninstalled later does not block other edits.
 */
function checkAgentCommands(path: string, value: unknown, current: Settings, env: NodeJS.ProcessEnv): void {
  value = agentsAfter(path, value, current.codingAgents);
  if (!Array.isArray(value)) return;
  const changed = value.filter((next) => {
    const before = current.codingAgents.find((a) => a.id === (next as { id?: unknown })?.id);
    return !before || before.command !== (next as AgentConfig).command || before.type !== (next as AgentConfig).type;
  });
  for (const agent of changed as AgentConfig[]) {
    const pkg = agentPackages[agent?.type as keyof typeof agentPackages];
    if (!pkg) continue; // an unknown type is the schema's to refuse
    const command = typeof agent.command === 'string' && agent.command.trim() ? agent.command.trim() : pkg.bin;
    if (findExecutable(command, env)) continue;
    const name = typeof agent.label === 'string' && agent.label ? agent.label : pkg.label;
    throw new BandApiError('INVALID_INPUT', `Command not found: ${command} (${name})`, {
      reason: 'COMMAND_NOT_FOUND',
      hint: command.includes('/')
        ? `There is no executable file at ${command}. Give the path of the installed CLI, or a command name on PATH.`
        : `${command} is not on the PATH of the Band server. Install it (npm i -g ${pkg.npm}) and restart ` +
          `Band, or give the executable's absolute path.`,
    });
  }
}

type AgentConfig = Settings['codingAgents'][number];

/**
 * The `codingAgents` list a write would leave, for the writes that touch it: the whole list, one entry
 * (`codingAgents.1`), or one field of an entry (`codingAgents.1.command`). Anything else (undefined) is the settings
 * store's to refuse.
 */
function agentsAfter(path: string, value: unknown, agents: AgentConfig[]): unknown[] | undefined {
  if (path === 'codingAgents') return Array.isArray(value) ? value : undefined;
  const match = /^codingAgents\.(0|[1-9][0-9]*)(?:\.([^.]+))?$/.exec(path);
  if (!match) return undefined;
  const index = Number(match[1]);
  if (index > agents.length) return undefined;
  const next: unknown[] = [...agents];
  next[index] = match[2] === undefined ? value : { ...agents[index], [match[2]]: value };
  return next;
}

export function createSettingsService(deps: { settings: SettingsStore; env?: NodeJS.ProcessEnv }): SettingsService {
  return {
    get: () => redactSettings(deps.settings.get()),
    async set(path, value, principal) {
      if (path === 'tokenSecret') {
        // Rotation is "delete the field and restart" (band-docs §2.2); a token typed into an API could be logged.
        throw new BandApiError('FORBIDDEN', 'tokenSecret cannot be set through the API', {
          hint: 'Delete tokenSecret from settings.json and restart the server to rotate it.',
        });
      }
      const isRemote = principal !== undefined && principal.listener !== 'local';
      if (isRemote && isLocalOnlySetting(path)) {
        // A phone may change what the dashboard shows, never which programs run, on which port, through which
        // tunnel, or where worktrees are created and deleted (issue 16, finding 6).
        throw new BandApiError(
          'FORBIDDEN',
          `"${path.slice(0, 200)}" can only be changed on the computer running Band`,
          {
            reason: 'LOCAL_ONLY_SETTING',
            hint:
              'Settings that choose programs, ports, the tunnel, the token or the worktrees directory ' +
              'are local-only: change them in the dashboard or with `band settings set` on that computer.',
          },
        );
      }
      checkAgentCommands(path, value, deps.settings.get(), deps.env ?? process.env);
      try {
        return redactSettings(await deps.settings.set(path, value));
      } catch (error) {
        // Where Band lives on disk is for this machine's eyes: a remote client gets the same error, path-free.
        if (isRemote && error instanceof SettingsError) {
          const shown = error.withoutPaths(deps.settings.home, homedir());
          throw new BandApiError('INVALID_INPUT', shown.problem, { hint: shown.hint, reason: error.code });
        }
        throw error;
      }
    },
  };
}
