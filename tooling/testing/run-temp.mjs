// A temp folder of its own for one test suite, bench or soak run. TMPDIR points into it (and CLAUDE_CODE_TMPDIR:
// Claude Code writes to /tmp otherwise), so every process the run starts writes its temp files there, the real
// agent CLIs and the tunnel's per-user state dir included. Those are not the tests' to remove (Claude Code keeps
// `claude-<uid>`, Codex `codex-bwrap-*`, Chromium's PulseAudio client `pulse-*`, and the tunnel keeps
// `band-tunnel-<uid>` between runs on purpose), so closing the folder removes them. Anything else there was left by
// a test: the folder stays, and its entries are returned to be named.
import { mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Entries that belong to the programs the tests run, not to the tests. */
export const PROGRAM_TEMP_ENTRIES = [/^claude-\d+$/, /^codex-bwrap-/, /^pulse-/, /^band-tunnel-/];

/**
 * A fresh 0700 folder in the current temp dir. The name is short on purpose: Unix socket paths made inside it
 * (the approval bridge's, for one) must stay under 104 bytes on macOS, whose temp dir is long already.
 */
export function openRunTemp() {
  return mkdtempSync(join(tmpdir(), 'bt-'));
}

/** The environment that points a run's processes at its folder. */
export function runTempEnv(dir) {
  return { TMPDIR: dir, CLAUDE_CODE_TMPDIR: dir };
}

/**
 * Removes the programs' own entries, then the folder when nothing else is in it. Returns the names the tests
 * left (the folder is kept then, for a person or CI's temp report to see); with `who`, also says so on stderr.
 */
export function closeRunTemp(dir, who) {
  let names;
  try {
    names = readdirSync(dir);
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
  const left = [];
  for (const name of names) {
    if (PROGRAM_TEMP_ENTRIES.some((pattern) => pattern.test(name))) {
      rmSync(join(dir, name), { recursive: true, force: true });
    } else {
      left.push(name);
    }
  }
  if (left.length === 0) rmdirSync(dir);
  else if (who) process.stderr.write(`${who} left ${left.length} temp entries in ${dir}: ${left.join(', ')}\n`);
  return left;
}
