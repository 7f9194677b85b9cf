import { agentPackages } from './errors.js';
import { findExecutable } from '@band/internal';
import type { CodingAgentType } from './types.js';

/** A `settings.json` `codingAgents[]` entry for a CLI found on PATH. */
export interface DetectedCodingAgent {
  id: string;
  type: CodingAgentType;
  label: string;
  command: string;
}

/**
 * Looks for `claude`, `codex` and `opencode` on `env.PATH` and returns one entry per CLI found, in that
 * order (Band fills `codingAgents` with these on first launch). `command` is the bare name, so a later
 * upgrade that moves the binary keeps working.
 */
export function detectCodingAgents(env: NodeJS.ProcessEnv = process.env): DetectedCodingAgent[] {
  const found: DetectedCodingAgent[] = [];
  for (const type of ['claude-code', 'codex', 'opencode'] as const) {
    const pkg = agentPackages[type];
    if (findExecutable(pkg.bin, env)) found.push({ id: type, type, label: pkg.label, command: pkg.bin });
  }
  return found;
}
