// Parses a unified diff (git's output for one file) into rows for the unified and split views.

export type DiffRowKind = 'context' | 'add' | 'del' | 'hunk' | 'meta';

export interface DiffRow {
  kind: DiffRowKind;
  text: string;
  oldLine?: number;
  newLine?: number;
}

export interface SplitRow {
  kind: 'hunk' | 'pair';
  hunk?: string;
  left?: DiffRow;
  right?: DiffRow;
}

const HUNK = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$/;

export function parseUnifiedDiff(patch: string): DiffRow[] {
  const rows: DiffRow[] = [];
  let oldLine = 0;
  let newLine = 0;
  let isInHunk = false;
  for (const line of patch.split('\n')) {
    const hunk = HUNK.exec(line);
    if (hunk) {
      oldLine = Number(hunk[1]);
      newLine = Number(hunk[2]);
      isInHunk = true;
      rows.push({ kind: 'hunk', text: line });
      continue;
    }
    if (!isInHunk) {
      // diff --git, index, ---/+++ headers: the file header already shows them.
      continue;
    }
    if (line.startsWith('+')) rows.push({ kind: 'add', text: line.slice(1), newLine: newLine++ });
    else if (line.startsWith('-')) rows.push({ kind: 'del', text: line.slice(1), oldLine: oldLine++ });
    else if (line.startsWith('\\')) rows.push({ kind: 'meta', text: line });
    else if (line.startsWith(' '))
      rows.push({ kind: 'context', text: line.slice(1), oldLine: oldLine++, newLine: newLine++ });
    else if (line === '') continue;
    else rows.push({ kind: 'meta', text: line });
  }
  return rows;
}

/** Pairs deletions with the additions that follow them, side by side. */
export function toSplitRows(rows: DiffRow[]): SplitRow[] {
  const out: SplitRow[] = [];
  let dels: DiffRow[] = [];
  let adds: DiffRow[] = [];
  const flush = () => {
    const n = Math.max(dels.length, adds.length);
    for (let i = 0; i < n; i++) out.push({ kind: 'pair', left: dels[i], right: adds[i] });
    dels = [];
    adds = [];
  };
  for (const row of rows) {
    if (row.kind === 'del') {
      if (adds.length) flush();
      dels.push(row);
    } else if (row.kind === 'add') adds.push(row);
    else {
      flush();
      if (row.kind === 'hunk') out.push({ kind: 'hunk', hunk: row.text });
      else if (row.kind === 'context') out.push({ kind: 'pair', left: row, right: row });
    }
  }
  flush();
  return out;
}
