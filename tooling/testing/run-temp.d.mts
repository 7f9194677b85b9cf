/** Entries that belong to the programs the tests run, not to the tests. */
export const PROGRAM_TEMP_ENTRIES: RegExp[];
/** A fresh 0700 folder in the current temp dir, for one run's TMPDIR. */
export function openRunTemp(): string;
/** The environment that points a run's processes at its folder: TMPDIR, and CLAUDE_CODE_TMPDIR for Claude Code. */
export function runTempEnv(dir: string): { TMPDIR: string; CLAUDE_CODE_TMPDIR: string };
/**
 * Removes the programs' own entries, then the folder when nothing else is in it; returns what the tests left, and with
 * `who` also says so on stderr.
 */
export function closeRunTemp(dir: string, who?: string): string[];
