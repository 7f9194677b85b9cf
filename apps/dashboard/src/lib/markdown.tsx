// Agent output as markdown, rendered to React elements: fenced code, inline code, bold, italics, headings,
// lists and links. Text always goes through React's escaping and links only keep http(s) targets, so a
// prompt-injected `<script>` or `javascript:` link stays inert text (auth.md §3.3).
import { type ReactNode, useEffect, useState } from 'react';

type Highlighter = typeof import('@/lib/highlight');
let loaded: Highlighter | undefined;

/**
 * The highlighter loads with the first code block, not with the page (first-load JS): until then the block shows
 * its lines unhighlighted.
 */
function useHighlighter(): Highlighter | undefined {
  const [highlighter, setHighlighter] = useState(loaded);
  useEffect(() => {
    if (highlighter) return;
    let isCurrent = true;
    void import('@/lib/highlight').then((m) => {
      loaded = m;
      if (isCurrent) setHighlighter(m);
    });
    return () => {
      isCurrent = false;
    };
  }, [highlighter]);
  return highlighter;
}

function CodeBlock({ code, fence }: { code: string[]; fence: string }) {
  const highlighter = useHighlighter();
  const lang = highlighter?.languageOf(`x.${fence || 'txt'}`);
  return (
    <pre
      className={
        'my-2 overflow-x-auto rounded-md border border-border bg-bg-sunken p-3 font-mono text-[13px] ' +
        'leading-relaxed'
      }
    >
      {code.map((l, n) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: lines of a static block
        <div key={n}>{(highlighter && lang ? highlighter.highlightLine(l, lang) : l) || '\u00a0'}</div>
      ))}
    </pre>
  );
}

export function Markdown({ text }: { text: string }) {
  const blocks: ReactNode[] = [];
  const lines = text.split('\n');
  let i = 0;
  let key = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    const fence = /^```\s*([\w+-]*)/.exec(line);
    if (fence) {
      const code: string[] = [];
      i++;
      while (i < lines.length && !lines[i]!.startsWith('```')) code.push(lines[i++]!);
      i++;
      blocks.push(<CodeBlock key={key++} code={code} fence={fence[1] ?? ''} />);
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading) {
      blocks.push(
        <p key={key++} className="mb-1 mt-3 font-semibold text-fg">
          {inline(heading[2]!)}
        </p>,
      );
      i++;
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const items: string[] = [];
      while (i < lines.length && /^\s*([-*]|\d+\.)\s+/.test(lines[i]!))
        items.push(lines[i++]!.replace(/^\s*([-*]|\d+\.)\s+/, ''));
      blocks.push(
        <ul key={key++} className="my-1 list-disc pl-5">
          {items.map((item, n) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: items of a static list
            <li key={n}>{inline(item)}</li>
          ))}
        </ul>,
      );
      continue;
    }
    if (line.trim() === '') {
      i++;
      continue;
    }
    const para: string[] = [];
    while (i < lines.length && lines[i]!.trim() !== '' && !/^```|^#{1,4}\s|^\s*([-*]|\d+\.)\s+/.test(lines[i]!))
      para.push(lines[i++]!);
    blocks.push(
      <p key={key++} className="my-1 whitespace-pre-wrap break-words">
        {inline(para.join('\n'))}
      </p>,
    );
  }
  return <>{blocks}</>;
}

const INLINE = /(`[^`\n]+`)|(\*\*[^*\n]+\*\*)|(\*[^*\n]+\*)|\[([^\]\n]+)\]\(([^)\s]+)\)/g;

function inline(text: string): ReactNode[] {
  const out: ReactNode[] = [];
  let last = 0;
  let key = 0;
  for (const m of text.matchAll(INLINE)) {
    const index = m.index ?? 0;
    if (index > last) out.push(text.slice(last, index));
    if (m[1])
      out.push(
        <code key={key++} className="rounded bg-bg-hover px-1 py-0.5 font-mono text-[0.9em]">
          {m[1].slice(1, -1)}
        </code>,
      );
    else if (m[2]) out.push(<strong key={key++}>{m[2].slice(2, -2)}</strong>);
    else if (m[3]) out.push(<em key={key++}>{m[3].slice(1, -1)}</em>);
    else if (m[4]) {
      const href = m[5]!;
      out.push(
        /^https?:\/\//i.test(href) ? (
          <a
            key={key++}
            href={href}
            target="_blank"
            rel="noopener noreferrer nofollow"
            className="text-accent underline underline-offset-2"
          >
            {m[4]}
          </a>
        ) : (
          m[0]
        ),
      );
    }
    last = index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}
