'use client';
import { type QueryClient, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { isUnread } from '@/components/ui/status-dot';
import { isInBackground, notifyNeedsAttention, showAttentionCount, titleWithCount } from '@/lib/attention';
import { invalidateWorkspaceDisk } from '@/lib/queries';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import type { AgentStatus, ShellData } from '@/lib/types';

const StatusContext = createContext<ReadonlyMap<string, AgentStatus>>(new Map());

/**
 * Agent status of every workspace, live from `chats.statuses` (a snapshot, then each change). When a workspace
 * turns "done" or "needs you": a short tone when the setting is on, and, while the page is in the background, a
 * notification (permission granted) that opens the workspace. The title and the app badge count them.
 */
export function AgentStatusProvider({
  children,
  initial,
}: {
  children: ReactNode;
  /** The statuses the page was rendered with (ShellData): shown before the subscription's snapshot arrives. */
  initial?: ShellData['statuses'];
}) {
  const [statuses, setStatuses] = useState<ReadonlyMap<string, AgentStatus>>(
    () => new Map(initial?.map(({ workspaceId, status }) => [workspaceId, status])),
  );
  // What the subscription has delivered so far, read synchronously to compare each change with the one before.
  const latest = useRef<ReadonlyMap<string, AgentStatus>>(statuses);
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  useEffect(() => {
    let isSoundOn = false;
    queryClient
      .fetchQuery(trpc.settings.get.queryOptions())
      .then((s) => {
        isSoundOn = s.notifications.soundOnNeedsAttention;
      })
      .catch(() => {});
    const sub = client.chats.statuses.subscribe(undefined, {
      onData: ({ workspaceId, status }) => {
        // The snapshot has begun: from here on a change is one this page sees happen (and may notify about). Marked
        // on <html> so that a test can wait for it instead of racing the subscription.
        document.documentElement.dataset.agentStatuses = 'live';
        // The tone, the notification and the cache updates happen here, once per change: a state updater must
        // stay pure (React may run it twice).
        const before = latest.current.get(workspaceId);
        if (before === status) return;
        latest.current = new Map(latest.current).set(workspaceId, status);
        setStatuses(latest.current);
        if (before && isUnread(status)) {
          if (isSoundOn) playChime();
          void notify(queryClient, trpc, workspaceId, status);
        }
        // A turn that ends changes files and git state.
        if (before === 'working') invalidateWorkspaceDisk(queryClient, trpc, workspaceId);
        // A turn that starts may be a chat started elsewhere (the CLI, another tab): the workspace's active chat
        // and its chat list change with it.
        if (status === 'working' && before !== undefined) {
          void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
          void queryClient.invalidateQueries(trpc.chats.list.queryFilter({ workspaceId }));
        }
        // An answered permission prompt moves the chat on: the Mobile Access list of each device's last answer
        // is re-read (when it is shown).
        void queryClient.invalidateQueries(trpc.approvals.byDevice.queryFilter());
      },
    });
    return () => {
      sub.unsubscribe();
      delete document.documentElement.dataset.agentStatuses;
    };
  }, [client, queryClient, trpc]);
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

async function notify(
  queryClient: QueryClient,
  trpc: ReturnType<typeof useTRPC>,
  workspaceId: string,
  status: 'done' | 'needs-attention',
) {
  try {
    if (!isInBackground()) return;
    // The list the sidebar keeps (the workspace events keep it current), fetched only if it is not there.
    const workspaces = await queryClient.ensureQueryData(trpc.workspaces.list.queryOptions()).catch(() => []);
    const workspace = workspaces.find((w) => w.id === workspaceId);
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
