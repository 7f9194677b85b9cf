'use client';
import { useEffect, useRef, useState } from 'react';
import { subscribeChatEvents } from '@/lib/api';
import { describeError, getBandClient } from '@/lib/trpc';
import { toChatEvent } from '@/lib/transcript';
import type { ChatEvent } from '@/lib/workspace-types';

/**
 * The events of one chat, live. The subscription replays the stored history, then streams; after a dropped
 * socket tRPC resubscribes with the last `tracked()` id, and events at or below the highest seq seen are
 * dropped here too, so output is never lost or doubled (DESIGN §3).
 */
export function useChatStream(chatId: string | null) {
  const [events, setEvents] = useState<ChatEvent[]>([]);
  const [error, setError] = useState<{ message: string; hint?: string } | null>(null);
  const [isLive, setLive] = useState(false);
  const lastSeq = useRef(0);

  useEffect(() => {
    setEvents([]);
    setError(null);
    setLive(false);
    lastSeq.current = 0;
    if (!chatId) return;
    let pending: ChatEvent[] = [];
    let frame = 0;
    // Deltas arrive many per frame; batching them keeps a long stream at one render per frame.
    const flush = () => {
      frame = 0;
      const batch = pending;
      pending = [];
      setEvents((prev) => prev.concat(batch));
    };
    const sub = subscribeChatEvents(getBandClient().client, chatId, undefined, {
      onStarted: () => setLive(true),
      onData: ({ id, data }) => {
        const event = toChatEvent(id, data);
        if (!event || event.seq <= lastSeq.current) return;
        lastSeq.current = event.seq;
        pending.push(event);
        if (!frame) frame = requestAnimationFrame(flush);
      },
      onError: (e) => setError(describeError(e)),
    });
    return () => {
      if (frame) cancelAnimationFrame(frame);
      sub.unsubscribe();
    };
  }, [chatId]);

  return { events, error, isLive, lastSeq: lastSeq.current };
}
