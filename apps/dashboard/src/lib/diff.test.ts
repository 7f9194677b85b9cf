import { describe, expect, it } from 'vitest';
import { parseUnifiedDiff, toSplitRows } from './diff';

const PATCH = `diff --git a/a.ts b/a.ts
index 1..2 100644
--- a/a.ts
+++ b/a.ts
@@ -1,3 +1,3 @@ function x()
 keep
-old line
+new line
 tail
\\ No newline at end of file
`;

describe('parseUnifiedDiff', () => {
  it('numbers old and new lines and skips the file header', () => {
    const rows = parseUnifiedDiff(PATCH);
    expect(rows.map((r) => [r.kind, r.oldLine, r.newLine, r.text])).toEqual([
      ['hunk', undefined, undefined, '@@ -1,3 +1,3 @@ function x()'],
      ['context', 1, 1, 'keep'],
      ['del', 2, undefined, 'old line'],
      ['add', undefined, 2, 'new line'],
      ['context', 3, 3, 'tail'],
      ['meta', undefined, undefined, '\\ No newline at end of file'],
    ]);
  });

  it('pairs deletions with additions side by side', () => {
    const split = toSplitRows(parseUnifiedDiff(PATCH));
    expect(split.map((r) => (r.kind === 'hunk' ? 'hunk' : [r.left?.text ?? null, r.right?.text ?? null]))).toEqual([
      'hunk',
      ['keep', 'keep'],
      ['old line', 'new line'],
      ['tail', 'tail'],
    ]);
  });

  it('treats text that looks like markup as plain lines', () => {
    const rows = parseUnifiedDiff('@@ -0,0 +1 @@\n+<img src=x onerror=alert(1)>\n');
    expect(rows[1]).toMatchObject({ kind: 'add', text: '<img src=x onerror=alert(1)>' });
  });
});
