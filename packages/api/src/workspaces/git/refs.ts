import { BandApiError } from '../../errors.js';
import { GitCommandError, runGit } from './run-git.js';

/** Longest branch name we accept (bytes); also keeps worktree paths under common PATH_MAX limits. */
export const MAX_BRANCH_NAME_BYTES = 200;

/**
 * Characters that render as nothing: Unicode format characters (category Cf: every bidi control, zero-width
 * space/joiners, the BOM, soft hyphen...), the combining grapheme joiner and the Hangul fillers.
 */
const INVISIBLE = '\\p{Cf}\\u034F\\u115F\\u1160\\u3164\\uFFA0';
const INVISIBLE_FORMAT_CHARS = new RegExp(`[${INVISIBLE}]`, 'u');

/** A name as it can be shown safely: JSON-quoted, with every invisible character spelled as `\u{…}`. */
export function showName(name: string): string {
  return JSON.stringify(name).replace(
    new RegExp(`[${INVISIBLE}]`, 'gu'),
    (c) => `\\u{${c.codePointAt(0)!.toString(16).toUpperCase()}}`,
  );
}

/**
 * Refusals we decide before asking git, each with its own message. Git's `check-ref-format` would catch most,
 * but a leading `-` must never reach any git argv (`-b`, `--upload-pack=…` would be read as options), and
 * `@{-1}` is expanded by `--branch` to "the previous branch", which is not what a user typed.
 */
export function getBranchNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_BRANCH_NAME_BYTES) return `is longer than ${MAX_BRANCH_NAME_BYTES} bytes`;
  if (name.startsWith('-')) return 'starts with "-" (it would be read as a git option)';
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'contains control characters';
  // Bidi controls (U+202A–U+202E, U+2066–U+2069) and other invisible format characters (zero-width space and
  // joiners, U+FEFF...) make a name display as something it is not: `feat/\u202Etxt.exe` reads as `feat/exe.txt`.
  if (INVISIBLE_FORMAT_CHARS.test(name))
    return (
      'contains invisible formatting characters (bidi controls or zero-width characters) that hide its ' +
      'real spelling'
    );
  if (/\s/u.test(name)) return 'contains whitespace';
  if (name.includes('@{')) return 'contains "@{" (reflog syntax)';
  if (name === 'HEAD' || name === '@') return 'is reserved by git';
  return undefined;
}

/**
 * Validates a branch name with our rules, then with `git check-ref-format --branch` (the authority on what git
 * accepts: no `..`, no component starting with `.`, no `.lock` suffix, no `~^:?*[\`...). Returns the name.
 */
export async function ensureBranchName(
  name: string,
  options: { cwd: string; env?: NodeJS.ProcessEnv; what?: string },
): Promise<string> {
  const what = options.what ?? 'Branch name';
  const problem = getBranchNameProblem(name);
  if (problem) throw invalidBranch(what, name, problem);
  try {
    const { stdout } = await runGit(['check-ref-format', '--branch', name], { cwd: options.cwd, env: options.env });
    const normalized = stdout.toString('utf8').replace(/\n$/, '');
    if (normalized !== name)
      throw invalidBranch(what, name, `is not a plain branch name (git reads it as "${normalized}")`);
    return name;
  } catch (error) {
    if (error instanceof GitCommandError) throw invalidBranch(what, name, 'is not a valid git branch name');
    throw error;
  }
}

function invalidBranch(what: string, name: string, problem: string): BandApiError {
  return new BandApiError('INVALID_INPUT', `${what} ${showName(name)} ${problem}`, {
    reason: 'INVALID_BRANCH_NAME',
    hint: 'Use letters, digits, "-", "_", "." and "/" (e.g. feat/login); see `git check-ref-format --help`.',
  });
}
