// The chat's transcript, virtualised: only the turns near the viewport are in the DOM.
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Spinner } from '@/components/ui/spinner';
import type { TranscriptTurn } from '@/lib/transcript';
import { type RetryMessage, TurnView } from './chat-turn';

/** Height assumed for a turn not measured yet (px); the average of the measured ones once there are some. */
const ESTIMATED_TURN = 200;
/** Space between turns (`gap-6`). */
const TURN_GAP = 24;

interface Anchor {
  /** The first turn at or below the top of the viewport… */
  key: string;
  /** …and its top, relative to the viewport's top (px). Kept when turns above it change or older ones arrive. */
  offset: number;
}

/**
 * The transcript, virtualised: only the turns within a screen of the viewport are in the DOM; the others are a
 * padding of their measured (or estimated) height. The reader's position is kept across changes above it (older
 * pages arriving, a turn measured): the first visible turn stays where it was on screen. At the bottom it follows
 * the stream; near the top it asks for the older page.
 */
export function Transcript({
  turns,
  root,
  onRetry,
  isWorking,
  isLoading,
  hasOlder,
  loadingOlder,
  onLoadOlder,
}: {
  turns: TranscriptTurn[];
  root: string;
  onRetry?: (message: RetryMessage) => Promise<unknown>;
  isWorking: boolean;
  isLoading: boolean;
  hasOlder: boolean;
  loadingOlder: boolean;
  onLoadOlder: () => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const isPinned = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  /** `scrollTop` when the anchor was last read or applied. A scroll whose event has not fired yet shows as a
   * difference, and a layout in that window must not undo it. */
  const knownScrollTop = useRef(0);
  const heights = useRef(new Map<string, number>());
  /** Where the list starts inside the scrolled content, and the viewport's height (px), as last laid out. */
  const layout = useRef({ listTop: 0, viewport: 844 });
  const rendered = useRef({ start: 0, end: 0 });
  const [, setTick] = useState(0);
  const rerender = useCallback(() => setTick((t) => t + 1), []);

  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver((entries) => {
            let changed = false;
            for (const entry of entries) {
              const key = (entry.target as HTMLElement).dataset.turnKey;
              if (!key || !entry.target.isConnected) continue;
              const h = Math.round((entry.target as HTMLElement).offsetHeight) + TURN_GAP;
              if (heights.current.get(key) !== h) {
                heights.current.set(key, h);
                changed = true;
              }
            }
            if (changed) rerender();
          }),
    [rerender],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);
  const observe = useCallback(
    (el: HTMLElement | null) => {
      if (!el || !observer) return;
      observer.observe(el);
      return () => observer.unobserve(el);
    },
    [observer],
  );

  // Virtual positions: top of each turn within the list, from measured heights (estimated for the others).
  const measured = [...heights.current.values()];
  const estimate = measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : ESTIMATED_TURN;
  const tops = new Array<number>(turns.length + 1);
  tops[0] = 0;
  for (let i = 0; i < turns.length; i++) tops[i + 1] = tops[i]! + (heights.current.get(turns[i]!.key) ?? estimate);
  const total = tops[turns.length]!;

  /** The turns to render for a viewport whose top is at `top` in list coordinates: a screen of margin each side. */
  const rangeAt = (top: number) => {
    const { viewport } = layout.current;
    let start = 0;
    while (start < turns.length && tops[start + 1]! <= top - viewport) start++;
    let end = start;
    while (end < turns.length && tops[end]! < top + 2 * viewport) end++;
    return {
      start: Math.min(start, Math.max(0, turns.length - 1)),
      end: Math.max(end, Math.min(turns.length, start + 1)),
    };
  };
  /** The newest turns that fill a screen (by their estimated heights). */
  function newestScreen() {
    let first = turns.length;
    while (first > 0 && total - tops[first]! < layout.current.viewport) first--;
    return { start: first, end: turns.length };
  }
  /** Where the viewport's top is, in list coordinates: at the bottom when following, else where the anchor says. */
  const viewportTop = () => {
    const { viewport, listTop } = layout.current;
    if (isPinned.current) return total - viewport;
    const a = anchor.current;
    const i = a ? turns.findIndex((t) => t.key === a.key) : -1;
    if (a && i >= 0) return tops[i]! - a.offset;
    return (ref.current?.scrollTop ?? 0) - listTop;
  };
  // The first render (the server's HTML, and hydration, which must match it) has not been laid out: it shows the
  // newest screen of turns with no padding, so a phone sees the latest messages before any script runs. The first
  // layout then renders the virtual range and follows the bottom, before the browser paints.
  const hasLaidOut = useRef(false);
  const { start, end } = hasLaidOut.current ? rangeAt(viewportTop()) : newestScreen();
  rendered.current = { start, end };

  // After each layout: follow the bottom, or put the anchor turn back where the reader saw it.
  useLayoutEffect(() => {
    const el = ref.current;
    const list = listRef.current;
    if (!el || !list) return;
    if (!hasLaidOut.current) {
      hasLaidOut.current = true;
      if (turns.length > 0) rerender();
    }
    const box = el.getBoundingClientRect();
    layout.current = {
      listTop: list.getBoundingClientRect().top - box.top + el.scrollTop,
      viewport: el.clientHeight || layout.current.viewport,
    };
    // The reader scrolled since the anchor was read (their scroll event is still queued): keep their scroll. Not
    // when the content got shorter under a viewport at its end: the browser moved scrollTop, not the reader.
    const atEnd = el.scrollTop >= el.scrollHeight - el.clientHeight - 1;
    const scrolled = atEnd && el.scrollTop < knownScrollTop.current ? 0 : el.scrollTop - knownScrollTop.current;
    if (isPinned.current && scrolled < -1 && el.scrollHeight - el.scrollTop - el.clientHeight >= 80) {
      isPinned.current = false;
    }
    if (anchor.current && !isPinned.current && Math.abs(scrolled) >= 1) {
      anchor.current = { ...anchor.current, offset: anchor.current.offset - scrolled };
    }
    if (isPinned.current) {
      el.scrollTop = el.scrollHeight;
      knownScrollTop.current = el.scrollTop;
      // Where the followed bottom put the turns, for a flick up that this layout's scroll event has not reported.
      anchor.current = readAnchor();
      return;
    }
    const a = anchor.current;
    const node = a ? list.querySelector<HTMLElement>(`[data-turn-key="${CSS.escape(a.key)}"]`) : null;
    if (a && node) {
      const shift = node.getBoundingClientRect().top - box.top - a.offset;
      if (Math.abs(shift) >= 1) el.scrollTop += shift;
    }
    knownScrollTop.current = el.scrollTop;
  });

  // Near the top (or a first page shorter than the screen): read the page before.
  useEffect(() => {
    const el = ref.current;
    if (el && hasOlder && !loadingOlder && el.scrollTop < el.clientHeight) onLoadOlder();
  });

  /** The reader's place in the DOM as it is now. */
  const readAnchor = (): Anchor | null => {
    const el = ref.current;
    const list = listRef.current;
    if (!el || !list) return null;
    const boxTop = el.getBoundingClientRect().top;
    // The anchor: the first turn that starts on screen (a turn cut by the top edge may still grow above it, when
    // the older page brings its beginning); else the turn that fills the screen; else (scrolled into the padding)
    // the virtual one.
    let next: Anchor | null = null;
    let covering: Anchor | null = null;
    for (const node of list.querySelectorAll<HTMLElement>('[data-turn-key]')) {
      const r = node.getBoundingClientRect();
      if (r.bottom <= boxTop) continue;
      covering ??= { key: node.dataset.turnKey!, offset: r.top - boxTop };
      if (r.top >= boxTop - 1) {
        if (r.top < boxTop + el.clientHeight) next = { key: node.dataset.turnKey!, offset: r.top - boxTop };
        break;
      }
    }
    next ??= covering;
    if (!next || next.offset > el.clientHeight) {
      const top = el.scrollTop - layout.current.listTop;
      let i = 0;
      while (i < turns.length - 1 && tops[i + 1]! <= top) i++;
      next = turns[i] ? { key: turns[i]!.key, offset: tops[i]! - top } : null;
    }
    return next;
  };

  const onScroll = () => {
    const el = ref.current;
    if (!el || !listRef.current) return;
    isPinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
    anchor.current = readAnchor();
    knownScrollTop.current = el.scrollTop;
    const range = rangeAt(viewportTop());
    if (range.start !== rendered.current.start || range.end !== rendered.current.end) rerender();
    if (hasOlder && !loadingOlder && el.scrollTop < el.clientHeight) onLoadOlder();
  };

  const lastTurn = turns.at(-1);
  return (
    <div
      ref={ref}
      className="relative min-h-0 flex-1 overflow-y-auto px-3 py-4 [overflow-anchor:none] md:px-6"
      data-testid="chat-transcript"
      data-has-older={hasOlder ? 'true' : 'false'}
      data-loading-older={loadingOlder ? 'true' : 'false'}
      onScroll={onScroll}
    >
      <div className="mx-auto flex max-w-3xl flex-col gap-6">
        {loadingOlder ? (
          <p
            className="flex items-center justify-center gap-2 text-xs text-fg-subtle"
            role="status"
            data-testid="chat-loading-older"
          >
            <Spinner /> Loading earlier messages…
          </p>
        ) : null}
        {isLoading ? <Spinner className="self-center" /> : null}
        {!isLoading && turns.length === 0 ? (
          <div className="flex flex-col items-center gap-2 py-16 text-center" data-testid="chat-empty">
            <p className="text-base font-medium">Start the conversation</p>
            <p className="max-w-sm text-sm text-fg-muted">
              Describe a change. The agent works in this workspace's worktree; review what it did in Changes.
            </p>
          </div>
        ) : null}
        <div
          ref={listRef}
          className="flex flex-col gap-6"
          style={
            hasLaidOut.current
              ? { paddingTop: tops[start] ?? 0, paddingBottom: Math.max(0, total - (tops[end] ?? total)) }
              : undefined
          }
        >
          {turns.slice(start, end).map((turn) => (
            <TurnView
              key={turn.key}
              turn={turn}
              root={root}
              onRetry={turn === lastTurn ? onRetry : undefined}
              observe={observe}
            />
          ))}
        </div>
        {isWorking ? (
          <div className="flex items-center gap-2 text-sm text-fg-muted" data-testid="chat-working">
            <Spinner />{' '}
            {turns.some((t) => t.items.some((i) => i.kind === 'approval' && i.state === 'pending'))
              ? 'The agent waits for your answer…'
              : 'Agent is working…'}
          </div>
        ) : null}
      </div>
    </div>
  );
}
