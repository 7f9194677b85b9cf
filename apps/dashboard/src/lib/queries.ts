// Cache updates shared by several components: which queries a change on disk makes stale.
import type { QueryClient } from '@tanstack/react-query';
import type { useTRPC } from '@/lib/trpc';

type TRPC = ReturnType<typeof useTRPC>;

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
  if (parts.includes('changes')) {
    void queryClient.invalidateQueries(trpc.changes.status.queryFilter({ workspace }));
    void queryClient.invalidateQueries(trpc.changes.diff.queryFilter({ workspace }));
  }
  if (parts.includes('files')) {
    void queryClient.invalidateQueries(trpc.files.list.queryFilter({ workspace }));
    void queryClient.invalidateQueries(trpc.files.read.queryFilter({ workspace }));
  }
}
