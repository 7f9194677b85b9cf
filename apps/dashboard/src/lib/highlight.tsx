// A small, offline syntax highlighter. It only wraps tokens of the input in <span>s through React, so
// untrusted code is never parsed as HTML (auth.md §3.3: diffs and files are attacker-influenced).
import type { ReactNode } from 'react';

type Lang = 'js' | 'py' | 'sh' | 'json' | 'css' | 'go' | 'rust' | 'md' | 'plain';

const KEYWORDS: Record<Exclude<Lang, 'plain' | 'md'>, Set<string>> = {
  js: new Set(
    (
      'import export from default function return const let var if else for while do switch case break ' +
      'continue new class extends super this typeof instanceof in of await async yield try catch finally ' +
      'throw null undefined true false interface type enum implements public private protected readonly ' +
      'static as satisfies void keyof'
    ).split(' '),
  ),
  py: new Set(
    (
      'def class return if elif else for while in not and or is import from as with try except finally ' +
      'raise None True False lambda yield pass break continue global nonlocal async await'
    ).split(' '),
  ),
  sh: new Set(
    'if then else elif fi for while do done case esac function in export local return echo exit set'.split(' '),
  ),
  json: new Set(['true', 'false', 'null']),
  css: new Set(['important', 'media', 'import', 'supports']),
  go: new Set(
    (
      'package import func return var const type struct interface map chan go defer if else for range ' +
      'switch case default break continue nil true false'
    ).split(' '),
  ),
  rust: new Set(
    (
      'fn let mut pub use mod struct enum impl trait for in if else match return self Self crate super ' +
      'where async await move loop while true false None Some Ok Err'
    ).split(' '),
  ),
};

const EXT: Record<string, Lang> = {
  ts: 'js',
  tsx: 'js',
  js: 'js',
  jsx: 'js',
  mjs: 'js',
  cjs: 'js',
  mts: 'js',
  cts: 'js',
  py: 'py',
  sh: 'sh',
  bash: 'sh',
  zsh: 'sh',
  json: 'json',
  css: 'css',
  scss: 'css',
  go: 'go',
  rs: 'rust',
  md: 'md',
};

export function languageOf(path: string): Lang {
  const ext = path.split('.').pop()?.toLowerCase() ?? '';
  return EXT[ext] ?? 'plain';
}

// One regex per family: comments, strings, numbers, words. Line-based, so a block comment spanning lines
// highlights only its marked lines (acceptable for a diff viewer, and never wrong about content).
const TOKEN = new RegExp(
  [
    String.raw`(\/\/.*$|#.*$|\/\*.*?(?:\*\/|$)|--.*$)`,
    String.raw`("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|${'`'}(?:[^${'`'}\\]|\\.)*${'`'}?)`,
    String.raw`(\b\d[\d_.]*(?:e[+-]?\d+)?\b|\b0x[0-9a-f]+\b)`,
    String.raw`([A-Za-z_$][\w$]*)`,
  ].join('|'),
  'gi',
);

export function highlightLine(line: string, lang: Lang): ReactNode {
  if (lang === 'plain' || lang === 'md' || line.length > 2_000) return line;
  const keywords = KEYWORDS[lang];
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const match of line.matchAll(TOKEN)) {
    const [text, comment, string, number, word] = match;
    const index = match.index ?? 0;
    let cls: string | undefined;
    if (comment) {
      // `#` is a comment only in sh/py; `--` never in these languages except as an operator.
      if ((text.startsWith('#') && lang !== 'sh' && lang !== 'py') || text.startsWith('--')) continue;
      if (text.startsWith('//') && (lang === 'py' || lang === 'sh')) continue;
      cls = 'tok-comment';
    } else if (string) cls = 'tok-string';
    else if (number) cls = 'tok-number';
    else if (word && keywords.has(word)) cls = 'tok-keyword';
    if (!cls) continue;
    if (index > last) out.push(line.slice(last, index));
    out.push(
      <span key={key++} className={cls}>
        {text}
      </span>,
    );
    last = index + text.length;
  }
  if (last === 0) return line;
  if (last < line.length) out.push(line.slice(last));
  return out;
}
