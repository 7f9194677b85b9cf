import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { REFERENCE_END, REFERENCE_START, renderReference, replaceReference } from '../src/docs.js';
import { inertContext } from '../src/inert-context.js';
import { createProgram } from '../src/program.js';

describe('README reference', () => {
  it('matches the command definitions (run `npm run docs` when this fails)', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const expected = replaceReference(readme, renderReference(createProgram(inertContext())));
    expect(readme).toBe(expected);
  });

  it('documents every command, flag and exit code', () => {
    const reference = renderReference(createProgram(inertContext()));
    for (const text of [
      '### `band tunnel start`',
      '`--qr`',
      '| 3 | server not running',
      '| 7 | server not verified',
      '| 130 |',
      '`BAND_TOKEN`',
    ]) {
      expect(reference).toContain(text);
    }
  });

  it('refuses to rewrite a README without the markers', () => {
    expect(() => replaceReference('# no markers', 'x')).toThrow(/reference/);
    expect(replaceReference(`a\n${REFERENCE_START}\nold\n${REFERENCE_END}\nb`, 'new\n')).toBe(
      `a\n${REFERENCE_START}\n\nnew\n\n${REFERENCE_END}\nb`,
    );
  });
});
