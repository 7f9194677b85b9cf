'use client';
import { useEffect, useRef, useState } from 'react';
import { describeError, getBandClient } from '@/lib/trpc';
import { toChatEvent } from '@/lib/transcript';
import type { ChatEvent } from '@/lib/workspace-types';

/**
 * The events of one chat, live. The subscription replays the stored log, then streams, in batches; after a
 * dropped socket tRPC resubscribes with the last `tracked()` id (the batch's last seq) and the server resumes
 * after it. Events at or below the highest seq already held are dropped here as well, so output is never lost
 * or doubled (DESIGN §3).
 */
export function useChatStream(chatId: string | null) {
  const [events, setEvents] = useState<ChatEvent[]>([]);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const lastSeq = useRef(0);

  useEffect(() => {
    setEvents([]);
    setError(null);
    lastSeq.current = 0;
    if (!chatId) return;
    let pending: ChatEvent[] = [];
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Deltas arrive many at a time; one render per 30 ms keeps a long stream smooth on a phone.
    const flush = () => {
      timer = undefined;
      const batch = pending;
      pending = [];
      setEvents((prev) => prev.concat(batch));
    };
    // Batched: each frame carries every event queued since the previous one (tracked by the last seq).
    const sub = getBandClient().client.chats.eventBatches.subscribe(
      { chatId },
      {
        onData: ({ data }) => {
          for (const envelope of data.events) {
            const event = toChatEvent(envelope);
            if (!event || event.seq <= lastSeq.current) continue;
            lastSeq.current = event.seq;
            pending.push(event);
          }
          if (pending.length > 0) timer ??= setTimeout(flush, 30);
        },
        onError: (e) => setError(describeError(e)),
      },
    );
    return () => {
      clearTimeout(timer);
      sub.unsubscribe();
    };
  }, [chatId]);

  return { events, error };
}
