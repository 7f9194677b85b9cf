'use client';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/lib/trpc';

/**
 * Every workspace: one cached list (one fetch) read by the sidebar, the home page and the workspace view. It is
 * not re-read when another of them mounts: the sidebar's `workspaces.events` subscription (always mounted, and
 * re-read after each reconnect), the chat statuses and the mutations that change a workspace mark it stale.
 */
export function useWorkspaces() {
  const trpc = useTRPC();
  return useQuery(trpc.workspaces.list.queryOptions(undefined, { staleTime: Number.POSITIVE_INFINITY }));
}
