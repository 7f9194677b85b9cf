'use client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { HISTORY_PAGE } from '@/lib/history-page';
import { describeError, getBandClient } from '@/lib/trpc';
import { toChatEvent } from '@/lib/transcript';
import type { ChatEvent, ChatHistoryPage, ChatPageData } from '@/lib/types';

const toEvents = (page: ChatHistoryPage): ChatEvent[] =>
  page.events.map(toChatEvent).filter((e): e is ChatEvent => e !== null);

/**
 * The events of one chat, live, without reading all of a long chat. It opens at the end: the newest page from
 * `chats.history` (`beforeSeq`, read newest first from SQLite), then subscribes to `chats.eventBatches` after that
 * page's last seq, so nothing between the page and the stream is lost or doubled. Older pages are prepended on
 * `loadOlder()`. After a dropped socket tRPC resubscribes with the last `tracked()` id (the batch's last seq) and
 * the server resumes after it; events at or below the highest seq already held are dropped here as well (DESIGN §3).
 *
 * `initial` is the newest page the server rendered the page with (lib/page-data.ts): for that chat it is the first
 * render's events, on the server and at hydration alike, and the stream resumes after it. A page of any age is good.
 */
export function useChatStream(chatId: string | null, initial?: ChatPageData) {
  // Taken once, by the chat it is for: a later chat (or the same one opened again) reads its own page.
  const served = useRef(initial?.chatId === chatId ? initial : undefined);
  const [events, setEvents] = useState<ChatEvent[]>(() => (served.current ? toEvents(served.current.history) : []));
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  /** True until the newest page is in (or failed). */
  const [loading, setLoading] = useState(() => chatId !== null && !served.current);
  const [hasOlder, setHasOlder] = useState(() => (events[0]?.seq ?? 0) > 1);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const lastSeq = useRef(0);
  /** The oldest seq held (the next older page is read before it). */
  const firstSeq = useRef(0);
  /** Bumped per chat: a page that answers after the chat changed is dropped. */
  const generation = useRef(0);
  const olderInFlight = useRef(false);

  useEffect(() => {
    const gen = ++generation.current;
    const page = served.current?.chatId === chatId ? served.current : undefined;
    served.current = undefined;
    if (!page) setEvents([]);
    setError(null);
    if (!page) setHasOlder(false);
    setLoadingOlder(false);
    olderInFlight.current = false;
    lastSeq.current = 0;
    firstSeq.current = 0;
    if (!chatId) {
      setLoading(false);
      return;
    }
    setLoading(!page);
    let pending: ChatEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sub: { unsubscribe(): void } | undefined;
    let cancelled = false;
    // Deltas arrive many at a time; one render per 30 ms keeps a long stream smooth on a phone.
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      setEvents((prev) => prev.concat(batch));
    };
    const { client } = getBandClient();
    void (async () => {
      let newest: ChatEvent[] = [];
      if (page) newest = toEvents(page.history);
      else {
        try {
          const history = await client.chats.history.query({
            chatId,
            beforeSeq: Number.MAX_SAFE_INTEGER,
            limit: HISTORY_PAGE,
          });
          newest = toEvents(history);
        } catch (e) {
          // Without the page the stream still works (it replays from the start), as before paging existed.
          if (!cancelled) setError(describeError(e));
        }
        if (cancelled || gen !== generation.current) return;
        setEvents(newest);
        setHasOlder(newest.length > 0 && newest[0]!.seq > 1);
        setLoading(false);
      }
      const after = newest.at(-1)?.seq ?? 0;
      lastSeq.current = after;
      firstSeq.current = newest[0]?.seq ?? 0;
      // Batched: each frame carries every event queued since the previous one (tracked by the last seq). The
      // first subscribe resumes after the page (as a reconnect would), so the page and the stream meet exactly.
      sub = client.chats.eventBatches.subscribe(
        { chatId, lastEventId: after > 0 ? String(after) : null },
        {
          onData: ({ data }) => {
            for (const envelope of data.events) {
              const event = toChatEvent(envelope);
              if (!event || event.seq <= lastSeq.current) continue;
              lastSeq.current = event.seq;
              if (firstSeq.current === 0) firstSeq.current = event.seq;
              pending.push(event);
            }
            if (pending.length > 0) timer ??= setTimeout(flush, 30);
          },
          onError: (e) => setError(describeError(e)),
        },
      );
    })();
    return () => {
      cancelled = true;
      clearTimeout(timer);
      sub?.unsubscribe();
    };
  }, [chatId]);

  const loadOlder = useCallback(async () => {
    if (!chatId || olderInFlight.current || firstSeq.current <= 1) return;
    const gen = generation.current;
    olderInFlight.current = true;
    setLoadingOlder(true);
    try {
      const history = await getBandClient().client.chats.history.query({
        chatId,
        beforeSeq: firstSeq.current,
        limit: HISTORY_PAGE,
      });
      if (gen !== generation.current) return;
      const page = toEvents(history).filter((e) => e.seq < firstSeq.current);
      if (page.length > 0) {
        firstSeq.current = page[0]!.seq;
        setEvents((prev) => page.concat(prev));
      }
      setHasOlder(page.length > 0 && page[0]!.seq > 1);
    } catch (e) {
      if (gen === generation.current) setError(describeError(e));
    } finally {
      if (gen === generation.current) {
        olderInFlight.current = false;
        setLoadingOlder(false);
      }
    }
  }, [chatId]);

  return { events, error, loading, hasOlder, loadingOlder, loadOlder };
}
