// Test groups that need something npm cannot install (a browser, a display server, setpriv, a build).
import { it } from 'vitest';

/** CI runs `.ci/run`, which installs every prerequisite: there, nothing may be skipped. */
export const isCI = process.env.CI === 'true' || process.env.CI === '1';

/**
 * Whether a test group must be skipped because something it needs is missing (`missing` names each piece).
 * Outside CI the group is skipped and stderr says what is missing. In CI the group is skipped too, and a
 * failing test in its place names what is missing, so the run fails and says why.
 */
export function skipWhenMissing(what: string, missing: string[]): boolean {
  if (missing.length === 0) return false;
  const message = `${what} need ${missing.join(', ')}`;
  if (isCI) {
    it(`prerequisites of ${what} are installed`, () => {
      throw new Error(`${message}: .ci/run installs them; a skipped test is a failed test in CI`);
    });
  } else {
    process.stderr.write(`${what} skipped: ${message}\n`);
  }
  return true;
}

/**
 * For a check inside a test that cannot run here (no external network interface, no setpriv): in CI it fails
 * the test; elsewhere it reports the gap on stderr and lets the rest of the test count.
 */
export function reportMissing(what: string): void {
  if (isCI) throw new Error(`${what}: missing in CI, where it must run`);
  process.stderr.write(`not checked here: ${what}\n`);
}
