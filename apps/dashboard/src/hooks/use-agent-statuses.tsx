'use client';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { invalidate } from '@/hooks/use-query';
import { api } from '@/lib/api';
import { isUnread } from '@/components/ui/status-dot';
import { isInBackground, notifyNeedsAttention, showAttentionCount, titleWithCount } from '@/lib/attention';
import { type BandClient, getBandClient } from '@/lib/trpc';
import type { AgentStatus } from '@/lib/workspace-types';

const StatusContext = createContext<ReadonlyMap<string, AgentStatus>>(new Map());

/**
 * Agent status of every workspace, live from `chats.statuses` (a snapshot, then each change). When a workspace
 * turns "done" or "needs your answer": a short tone when the setting is on, and, while the page is in the background, a
 * notification (permission granted) that opens the workspace. The title and the app badge count them.
 */
export function AgentStatusProvider({ children }: { children: ReactNode }) {
  const [statuses, setStatuses] = useState<ReadonlyMap<string, AgentStatus>>(new Map());
  // What the subscription has delivered so far, read synchronously to compare each change with the one before.
  const latest = useRef<ReadonlyMap<string, AgentStatus>>(statuses);
  useEffect(() => {
    const { client } = getBandClient();
    let isSoundOn = false;
    client.settings.get
      .query()
      .then((s) => {
        isSoundOn = s.notifications.soundOnNeedsAttention;
      })
      .catch(() => {});
    const sub = client.chats.statuses.subscribe(undefined, {
      onData: ({ workspaceId, status }) => {
        // The tone, the notification and the refetches happen here, once per change: a state updater must stay
        // pure (React may run it twice).
        const before = latest.current.get(workspaceId);
        if (before === status) return;
        latest.current = new Map(latest.current).set(workspaceId, status);
        setStatuses(latest.current);
        if (before && isUnread(status)) {
          if (isSoundOn) playChime();
          void notify(client, workspaceId, status);
        }
        // A turn that ends changes files and git state.
        if (before === 'working') {
          invalidate(`changes:${workspaceId}`);
          invalidate(`files:${workspaceId}:`);
        }
      },
    });
    return () => sub.unsubscribe();
  }, []);
  let attention = 0;
  for (const status of statuses.values()) if (isUnread(status)) attention += 1;
  useEffect(() => {
    showAttentionCount(attention);
    // A client-side navigation sets the page's own title again: the count is put back in front of it.
    const observer = new MutationObserver(() => {
      const wanted = titleWithCount(document.title, attention);
      if (document.title !== wanted) document.title = wanted;
    });
    observer.observe(document.head, { childList: true, subtree: true, characterData: true });
    return () => observer.disconnect();
  }, [attention]);
  return <StatusContext.Provider value={statuses}>{children}</StatusContext.Provider>;
}

export function useAgentStatus(workspaceId: string): AgentStatus {
  return useContext(StatusContext).get(workspaceId) ?? 'waiting';
}

async function notify(client: BandClient, workspaceId: string, status: 'done' | 'needs-attention') {
  try {
    if (!isInBackground()) return;
    const workspace = (await api.listWorkspaces(client).catch(() => [])).find((w) => w.id === workspaceId);
    await notifyNeedsAttention(workspaceId, workspace?.branch, status);
  } catch {
    // A notification is a courtesy: the dot, title and badge still say it.
  }
}

function playChime() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.15, ctx.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.4);
    osc.connect(gain).connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.4);
    osc.onended = () => void ctx.close();
  } catch {
    // Audio may be blocked until the user interacts with the page; the dot still stands out.
  }
}
