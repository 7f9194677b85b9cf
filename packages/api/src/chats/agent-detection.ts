import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { detectCodingAgents } from '@band/agents';
import type { SettingsStore } from '@band/settings';
import type { Logger } from '../internal/logger.js';

/** Marker in BAND_HOME: detection already ran once, so an empty `codingAgents` is the user's choice. */
export const AGENT_DETECTION_MARKER = '.coding-agents-detected';

/**
 * First launch: fill `codingAgents` (and `defaultCodingAgent`) with the CLIs found on PATH — only while the
 * list is empty and was never filled before (a marker file in BAND_HOME remembers a filled or user-set list,
 * so a user who later empties it is never overridden; with nothing found, the next launch looks again).
 * Returns the ids added.
 */
export async function fillDetectedCodingAgents(deps: {
  settings: SettingsStore;
  home: string;
  env: NodeJS.ProcessEnv;
  logger: Logger;
}): Promise<string[]> {
  const marker = join(deps.home, AGENT_DETECTION_MARKER);
  if (existsSync(marker)) return [];
  let added: string[] = [];
  if (deps.settings.get().codingAgents.length > 0) {
    // The user (or an earlier launch) already configured agents: remember that, never touch the list.
    await writeFile(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
    return [];
  }
  {
    const found = detectCodingAgents(deps.env);
    if (found.length > 0) {
      await deps.settings.update((s) => {
        if (s.codingAgents.length > 0) return s; // changed meanwhile: the user's list wins
        added = found.map((a) => a.id);
        return {
          ...s,
          codingAgents: found.map((a) => ({ id: a.id, type: a.type, label: a.label, command: a.command })),
          defaultCodingAgent: s.defaultCodingAgent ?? found[0]!.id,
        };
      });
      if (added.length) deps.logger.info(`Found coding agents on PATH: ${added.join(', ')}`);
    }
  }
  // Nothing found: try again next launch (the user may install a CLI meanwhile).
  if (added.length > 0) await writeFile(marker, `${new Date().toISOString()}\n`, { mode: 0o600 });
  return added;
}
