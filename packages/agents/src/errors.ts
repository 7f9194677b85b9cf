import { BandError, type BandErrorOptions } from '@band/internal';
import type { CodingAgentType } from './types.js';

export type AgentErrorCode = 'CLI_NOT_FOUND' | 'SPAWN_FAILED' | 'INVALID_OPTIONS';

export interface AgentErrorOptions extends BandErrorOptions {
  stderrTail?: string;
}

/** The one error class of @band/agents. */
export class AgentError extends BandError<AgentErrorCode, AgentErrorOptions> {
  override readonly name = 'AgentError';
  declare readonly stderrTail: string | undefined;
}

/** npm package that provides each CLI. */
export const agentPackages: Readonly<Record<CodingAgentType, { npm: string; bin: string; label: string }>> =
  Object.freeze({
    'claude-code': { npm: '@anthropic-ai/claude-code', bin: 'claude', label: 'Claude Code' },
    codex: { npm: '@openai/codex', bin: 'codex', label: 'Codex' },
    opencode: { npm: 'opencode-ai', bin: 'opencode', label: 'OpenCode' },
  });

export function cliNotFound(type: CodingAgentType, command: string): AgentError {
  const pkg = agentPackages[type];
  return new AgentError('CLI_NOT_FOUND', `${pkg.label} CLI not found: ${command}`, {
    hint: `Install it with \`npm i -g ${pkg.npm}\`, or set the agent's "command" to the executable's path.`,
  });
}

export function spawnFailed(command: string, cause: unknown): AgentError {
  return new AgentError('SPAWN_FAILED', `Could not start ${command}: ${(cause as Error)?.message ?? String(cause)}`, {
    cause,
    hint: 'Check that the executable runs (`<command> --version`) and that the working directory exists.',
  });
}

export function invalidOptions(message: string, hint?: string): AgentError {
  return new AgentError('INVALID_OPTIONS', message, { hint });
}
