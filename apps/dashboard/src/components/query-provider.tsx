'use client';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { createTRPCClient } from '@trpc/client';
import { createTRPCOptionsProxy } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@band/api';
import { type ReactNode, useState } from 'react';
import type { ShellData } from '@/lib/types';
import { type BandClient, getBandClient, TRPCProvider } from '@/lib/trpc';

/**
 * The dashboard's data layer: one QueryClient per tab (as create-t3-turbo sets it up), and the tRPC client behind
 * the typed options proxy. Queries behave as the pages expect: an error shows at once (no retries), a mounted
 * query re-reads when it mounts again, and data changes arrive through subscriptions and invalidation after
 * mutations rather than on focus.
 */
function makeQueryClient(): QueryClient {
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: { retry: false, refetchOnWindowFocus: false, refetchOnReconnect: false },
      mutations: { retry: false },
    },
  });
  // Git state (changes.status and changes.diff) has no event: a commit or an edit made in a terminal or an editor
  // outside Band is not announced. So these queries, and only these, are re-read every 10 s while shown; an agent's
  // own edits are not waited for (its statuses and chat events invalidate them at once).
  queryClient.setQueryDefaults([['changes']], { refetchInterval: 10_000 });
  return queryClient;
}

/**
 * The lists the page was rendered with (layout.tsx read them in-process), in the cache before the first render: the
 * server's HTML shows them, and hydration renders the same. They are as fresh as the page; the sidebar's
 * subscription re-reads the workspaces once it starts.
 */
function seed(queryClient: QueryClient, client: BandClient, initial: ShellData): void {
  const trpc = createTRPCOptionsProxy<AppRouter>({ client, queryClient });
  queryClient.setQueryData(trpc.projects.list.queryKey(), initial.projects);
  queryClient.setQueryData(trpc.workspaces.list.queryKey(), initial.workspaces);
}

export function QueryProvider({ children, initial }: { children: ReactNode; initial?: ShellData }) {
  // The client runs in the browser only; server rendering never fetches (a query without seeded data waits for
  // mount), so it gets a client without links that is never called.
  const [trpcClient] = useState(() =>
    typeof window === 'undefined' ? createTRPCClient<AppRouter>({ links: [] }) : getBandClient().client,
  );
  const [queryClient] = useState(() => {
    const queryClient = makeQueryClient();
    if (initial) seed(queryClient, trpcClient, initial);
    return queryClient;
  });
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
