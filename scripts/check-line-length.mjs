#!/usr/bin/env node
// Lists every git-tracked .ts/.tsx/.mjs/.js line longer than 120 characters (issue 15) and exits 1 if there is one.
// Characters are counted as code points, as the Biome formatter does (`awk 'length > 120'` under mawk counts bytes,
// so a line with `→` or `…` can look longer to it than it is). Usage: node scripts/check-line-length.mjs [path...]
// (paths limit the check to those files or folders; git pathspecs).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const MAX = 120;

// Lines that must stay long: recorded data replayed byte for byte. `file` is a repository path; `line` is the
// 1-based line number. None so far.
const ALLOWED = [];

const args = process.argv.slice(2);
const files = execFileSync('git', ['ls-files', '-z', '--', ...(args.length ? args : ['.'])], { encoding: 'utf8' })
  .split('\0')
  .filter((file) => /\.(ts|tsx|mjs|js)$/.test(file));

const allowed = new Set(ALLOWED.map(({ file, line }) => `${file}:${line}`));
const over = [];
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (error.code === 'ENOENT') continue; // deleted in the working tree, not yet committed
    throw error;
  }
  text.split('\n').forEach((line, index) => {
    const length = [...line.replace(/\r$/, '')].length;
    if (length > MAX && !allowed.has(`${file}:${index + 1}`)) over.push(`${file}:${index + 1}: ${length} characters`);
  });
}

if (over.length > 0) {
  process.stderr.write(`${over.join('\n')}\n`);
  process.stderr.write(
    `${over.length} line(s) over ${MAX} characters: wrap long comments and split long strings with + ` +
      '(Biome formats the code itself: npx biome format --write <file>).\n',
  );
  process.exit(1);
}
process.stdout.write(`line length: ok (${files.length} files, none over ${MAX} characters)\n`);
