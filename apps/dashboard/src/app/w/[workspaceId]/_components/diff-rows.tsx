'use client';
// A diff's rows as a table, unified or side by side, with syntax colours. Only the rows near the viewport are in the
// DOM: a 10,000-line diff on a phone scrolls as a short one does.
import { type RefObject, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { cn } from '@/lib/cn';
import { type DiffRow, toSplitRows } from '@/lib/diff';
import { highlightLine, type languageOf } from '@/lib/highlight';

const ROW_TONE = {
  add: 'bg-diff-add-bg',
  del: 'bg-diff-del-bg',
  context: '',
  hunk: 'bg-accent-soft text-fg-muted',
  meta: 'text-fg-subtle',
} as const;
const SIGN = { add: '+', del: '−', context: ' ', hunk: '', meta: '' } as const;

/** Every diff row is one line high (no wrapping: `whitespace-pre`), so a window of rows is a slice plus two spacers. */
const ROW_HEIGHT = 20;
/** Rows kept in the DOM beyond the viewport, each side; the window moves in steps of this many rows. */
const ROW_MARGIN = 120;

/**
 * The rows of a long diff near the scroller's viewport: [start, end). The list of changed files scrolls, and this
 * diff is somewhere in it; the window follows that scroll (read once per frame), so a 10,000-line diff keeps a few
 * hundred rows in the DOM.
 */
function useRowWindow(count: number, table: RefObject<HTMLTableElement | null>) {
  const [range, setRange] = useState({ start: 0, end: Math.min(count, ROW_MARGIN * 3) });
  useLayoutEffect(() => {
    const el = table.current;
    const scroller = el?.closest<HTMLElement>('[data-testid="changes-list"]') ?? null;
    if (!el || !scroller) {
      setRange({ start: 0, end: count });
      return;
    }
    let frame = 0;
    const update = () => {
      frame = 0;
      const top = el.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      const first = Math.floor(-top / ROW_HEIGHT);
      const last = Math.ceil((scroller.clientHeight - top) / ROW_HEIGHT);
      const start = Math.max(0, Math.floor((first - ROW_MARGIN) / ROW_MARGIN) * ROW_MARGIN);
      const end = Math.min(count, Math.max(start, Math.ceil((last + ROW_MARGIN) / ROW_MARGIN) * ROW_MARGIN));
      setRange((r) => (r.start === start && r.end === end ? r : { start, end }));
    };
    const schedule = () => {
      frame ||= requestAnimationFrame(update);
    };
    update();
    scroller.addEventListener('scroll', schedule, { passive: true });
    window.addEventListener('resize', schedule);
    return () => {
      cancelAnimationFrame(frame);
      scroller.removeEventListener('scroll', schedule);
      window.removeEventListener('resize', schedule);
    };
  }, [count, table]);
  return { start: Math.min(range.start, count), end: Math.min(range.end, count) };
}

/** Stands for rows outside the window: their height, nothing else (hidden from assistive technology). */
function Spacer({ rows, colSpan }: { rows: number; colSpan: number }) {
  if (rows <= 0) return null;
  return (
    <tr aria-hidden="true" style={{ height: rows * ROW_HEIGHT }}>
      <td colSpan={colSpan} className="p-0" />
    </tr>
  );
}

export function UnifiedRows({ rows, lang }: { rows: DiffRow[]; lang: ReturnType<typeof languageOf> }) {
  const table = useRef<HTMLTableElement>(null);
  const { start, end } = useRowWindow(rows.length, table);
  return (
    <table ref={table} className="w-full border-collapse" data-rows={rows.length}>
      <tbody>
        <Spacer rows={start} colSpan={4} />
        {rows.slice(start, end).map((row, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows of a parsed patch have no identity
          <tr key={start + i} className={ROW_TONE[row.kind]} style={{ height: ROW_HEIGHT }} data-kind={row.kind}>
            {row.kind === 'hunk' ? (
              <td colSpan={4} className="whitespace-pre px-3 text-xs">
                {row.text}
              </td>
            ) : (
              <>
                <td className="w-10 select-none px-2 text-right text-fg-subtle">{row.oldLine ?? ''}</td>
                <td className="w-10 select-none px-2 text-right text-fg-subtle">{row.newLine ?? ''}</td>
                <td className={cn('w-4 select-none', row.kind === 'add' ? 'text-diff-add-fg' : 'text-diff-del-fg')}>
                  {SIGN[row.kind]}
                </td>
                <td className="whitespace-pre pr-4">{highlightLine(row.text, lang)}</td>
              </>
            )}
          </tr>
        ))}
        <Spacer rows={rows.length - end} colSpan={4} />
      </tbody>
    </table>
  );
}

export function SplitRows({ rows, lang }: { rows: DiffRow[]; lang: ReturnType<typeof languageOf> }) {
  const split = useMemo(() => toSplitRows(rows), [rows]);
  const table = useRef<HTMLTableElement>(null);
  const { start, end } = useRowWindow(split.length, table);
  const cell = (row: DiffRow | undefined) => (
    <>
      <td className={cn('w-10 select-none px-2 text-right text-fg-subtle', row && ROW_TONE[row.kind])}>
        {row?.oldLine ?? row?.newLine ?? ''}
      </td>
      <td className={cn('w-1/2 whitespace-pre pr-4', row && row.kind !== 'context' && ROW_TONE[row.kind])}>
        {row ? highlightLine(row.text, lang) : ''}
      </td>
    </>
  );
  return (
    <table ref={table} className="w-full table-fixed border-collapse" data-rows={split.length}>
      <tbody>
        <Spacer rows={start} colSpan={4} />
        {split.slice(start, end).map((row, i) =>
          row.kind === 'hunk' ? (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a parsed patch have no identity
            <tr key={start + i} className={ROW_TONE.hunk} style={{ height: ROW_HEIGHT }}>
              <td colSpan={4} className="whitespace-pre px-3 text-xs">
                {row.hunk}
              </td>
            </tr>
          ) : (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows of a parsed patch have no identity
            <tr key={start + i} style={{ height: ROW_HEIGHT }}>
              {cell(row.left?.kind === 'context' ? { ...row.left, newLine: undefined } : row.left)}
              {cell(row.right?.kind === 'context' ? { ...row.right, oldLine: undefined } : row.right)}
            </tr>
          ),
        )}
        <Spacer rows={split.length - end} colSpan={4} />
      </tbody>
    </table>
  );
}
