// `npm run docs`: rewrites the reference section of README.md from the command tree.
import { readFile, writeFile } from 'node:fs/promises';
import { inertContext } from './inert-context.js';
import { renderReference, replaceReference } from './docs.js';
import { createProgram } from './program.js';

const readmeUrl = new URL('../README.md', import.meta.url);
const before = await readFile(readmeUrl, 'utf8');
const after = replaceReference(before, renderReference(createProgram(inertContext())));
if (after !== before) await writeFile(readmeUrl, after);
process.stdout.write(after === before ? 'README.md reference is up to date\n' : 'README.md reference rewritten\n');
