// Cache updates shared by several components: which queries a change on disk makes stale.
import type { QueryClient, QueryFilters } from '@tanstack/react-query';
import type { useTRPC } from '@/lib/trpc';

type TRPC = ReturnType<typeof useTRPC>;

/** The cached git state and diffs (`changes`) and tree and open files (`files`) of one workspace. */
function workspaceDisk(trpc: TRPC, workspace: string, parts: readonly ('changes' | 'files')[]): QueryFilters[] {
  return [
    ...(parts.includes('changes')
      ? [trpc.changes.status.queryFilter({ workspace }), trpc.changes.diff.queryFilter({ workspace })]
      : []),
    ...(parts.includes('files')
      ? [trpc.files.list.queryFilter({ workspace }), trpc.files.read.queryFilter({ workspace })]
      : []),
  ];
}

/**
 * The workspace's files changed (an agent's tool ran, a turn ended, a revert or a commit): its git state and
 * diffs (`changes`) and its tree and open files (`files`) are re-read where they are shown.
 */
export function invalidateWorkspaceDisk(
  queryClient: QueryClient,
  trpc: TRPC,
  workspace: string,
  parts: readonly ('changes' | 'files')[] = ['changes', 'files'],
): void {
  for (const filter of workspaceDisk(trpc, workspace, parts)) void queryClient.invalidateQueries(filter);
}

/**
 * A pane that failed to render is mounted again by Retry: what it had cached is dropped first (the answer it
 * could not render among it), so it starts from loading and reads everything anew.
 */
export function resetWorkspaceDisk(
  queryClient: QueryClient,
  trpc: TRPC,
  workspace: string,
  parts: readonly ('changes' | 'files')[],
): void {
  for (const filter of workspaceDisk(trpc, workspace, parts)) void queryClient.resetQueries(filter);
}
