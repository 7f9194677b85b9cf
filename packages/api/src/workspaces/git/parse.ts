// Pure parsers for git's NUL-separated (-z) outputs. With -z, git never quotes or escapes paths.

/** Badge of a changed file (band-docs §2.7): Modified, Added, Deleted, Renamed, Untracked. */
export type ChangeStatus = 'M' | 'A' | 'D' | 'R' | 'U';

export interface NameStatusEntry {
  path: string;
  /** Set for renames. */
  oldPath?: string;
  status: ChangeStatus;
  /** Unmerged (a conflict): shown as M with this flag. */
  conflicted: boolean;
}

/** Parses `git diff --name-status -z -M`: `X\0path\0` or `Rnnn\0old\0new\0`. */
export function parseNameStatus(out: string): NameStatusEntry[] {
  const parts = out.split('\0');
  const entries: NameStatusEntry[] = [];
  let i = 0;
  while (i < parts.length) {
    const code = parts[i++];
    if (!code) continue;
    const letter = code[0]!;
    if (letter === 'R' || letter === 'C') {
      const oldPath = parts[i++];
      const path = parts[i++];
      if (!oldPath || !path) break;
      entries.push(
        letter === 'R' ? { path, oldPath, status: 'R', conflicted: false } : { path, status: 'A', conflicted: false },
      );
      continue;
    }
    const path = parts[i++];
    if (!path) break;
    switch (letter) {
      case 'A':
        entries.push({ path, status: 'A', conflicted: false });
        break;
      case 'D':
        entries.push({ path, status: 'D', conflicted: false });
        break;
      case 'U':
        entries.push({ path, status: 'M', conflicted: true });
        break;
      default:
        // M, T (type change), X/B (unknown/broken pairing) all read as "modified" to a reviewer.
        entries.push({ path, status: 'M', conflicted: false });
    }
  }
  return entries;
}

export interface NumstatEntry {
  path: string;
  oldPath?: string;
  /** null for binary files. */
  additions: number | null;
  deletions: number | null;
}

/** Parses `git diff --numstat -z -M`: `a\td\tpath\0` or, for a rename, `a\td\t\0old\0new\0`; binary is `-\t-`. */
export function parseNumstat(out: string): NumstatEntry[] {
  const parts = out.split('\0');
  const entries: NumstatEntry[] = [];
  let i = 0;
  while (i < parts.length) {
    const head = parts[i++];
    if (!head) continue;
    const match = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(head);
    if (!match) continue;
    const additions = match[1] === '-' ? null : Number(match[1]);
    const deletions = match[2] === '-' ? null : Number(match[2]);
    if (match[3] === '') {
      const oldPath = parts[i++];
      const path = parts[i++];
      if (!oldPath || !path) break;
      entries.push({ path, oldPath, additions, deletions });
    } else {
      entries.push({ path: match[3]!, additions, deletions });
    }
  }
  return entries;
}

/** Splits a `-z` list (ls-files, etc.). */
export function parseNulList(out: string): string[] {
  return out.split('\0').filter((s) => s.length > 0);
}

/** True when a unified diff says the file is binary (git prints no hunks for it). */
export function isBinaryPatch(patch: string): boolean {
  return /^Binary files .* differ$/m.test(patch) || /^GIT binary patch$/m.test(patch);
}

/** True when the buffer looks binary: a NUL byte in the first 8000 bytes (git's own heuristic). */
export function hasNulByte(buf: Buffer, scanBytes = 8000): boolean {
  return buf.subarray(0, scanBytes).includes(0);
}

/** Cuts text to at most `maxBytes` UTF-8 bytes at a line boundary (or a character boundary if one line is huge). */
export function truncateAtLine(text: string, maxBytes: number): { text: string; truncated: boolean } {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return { text, truncated: false };
  let cut = buf.lastIndexOf(0x0a, maxBytes - 1);
  if (cut <= 0) cut = maxBytes;
  else cut += 1;
  // Never split a multi-byte character: back up to a leading byte.
  while (cut > 0 && cut < buf.length && (buf[cut]! & 0xc0) === 0x80) cut--;
  return { text: buf.subarray(0, cut).toString('utf8'), truncated: true };
}
