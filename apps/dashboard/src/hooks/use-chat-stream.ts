'use client';
import { useEffect, useRef, useState } from 'react';
import { describeError, getBandClient } from '@/lib/trpc';
import { toChatEvent } from '@/lib/transcript';
import type { ChatEvent } from '@/lib/workspace-types';

/**
 * The events of one chat, live. The subscription replays the stored log, then streams; after a dropped socket
 * tRPC resubscribes with the last `tracked()` id (the seq) and the server resumes after it. Events at or
 * below the highest seq already held are dropped here as well, so output is never lost or doubled (DESIGN §3).
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
    const sub = getBandClient().client.chats.events.subscribe(
      { chatId },
      {
        onData: ({ data }) => {
          const event = toChatEvent(data);
          if (!event || event.seq <= lastSeq.current) return;
          lastSeq.current = event.seq;
          pending.push(event);
          timer ??= setTimeout(flush, 30);
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
