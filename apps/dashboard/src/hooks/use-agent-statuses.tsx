'use client';
import { createContext, type ReactNode, useContext, useEffect, useState } from 'react';
import { invalidate } from '@/hooks/use-query';
import { getBandClient } from '@/lib/trpc';
import type { AgentStatus } from '@/lib/workspace-types';

const StatusContext = createContext<ReadonlyMap<string, AgentStatus>>(new Map());

/**
 * Agent status of every workspace, live from `chats.statuses` (a snapshot, then each change). When a workspace
 * turns "needs attention" and the setting is on, a short tone plays.
 */
export function AgentStatusProvider({ children }: { children: ReactNode }) {
  const [statuses, setStatuses] = useState<ReadonlyMap<string, AgentStatus>>(new Map());
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
        setStatuses((prev) => {
          const before = prev.get(workspaceId);
          if (before === status) return prev;
          if (before && status === 'needs-attention' && isSoundOn) playChime();
          // A turn that ends changes files and git state.
          if (before === 'working') {
            invalidate(`changes:${workspaceId}`);
            invalidate(`files:${workspaceId}:`);
          }
          return new Map(prev).set(workspaceId, status);
        });
      },
    });
    return () => sub.unsubscribe();
  }, []);
  return <StatusContext.Provider value={statuses}>{children}</StatusContext.Provider>;
}

export function useAgentStatus(workspaceId: string): AgentStatus {
  return useContext(StatusContext).get(workspaceId) ?? 'waiting';
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
