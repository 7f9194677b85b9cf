import 'server-only';
import type { BandCaller } from '@band/api';
import type { ShellData } from '@/lib/types';

/**
 * The data (ShellData) the first HTML of every page carries (issue 19: the workspace list is painted with the page,
 * not after the scripts have run and asked for it): read in-process from Band's API, as the principal the gate
 * accepted for this request. @band/server runs Next inside the page scope of `packages/server/src/page-request.ts`,
 * found under the same global symbol; without it (another host, a build) there is none and the client asks as before.
 */
interface PageRequest {
  caller(): BandCaller;
}

interface PageScope {
  getStore(): PageRequest | undefined;
}

export async function readShellData(): Promise<ShellData | undefined> {
  const scope = (globalThis as Record<symbol, PageScope | undefined>)[Symbol.for('band.pageRequest')];
  const request = scope?.getStore();
  if (!request) return undefined;
  try {
    const caller = request.caller();
    const data = {
      projects: await caller.projects.list(),
      workspaces: await caller.workspaces.list(),
      statuses: await caller.chats.statusList(),
    };
    // As the client would have received them over HTTP (JSON), so hydration renders exactly what the server did.
    return JSON.parse(JSON.stringify(data)) as ShellData;
  } catch {
    // The client's own request shows the error, with its hint, where the list would be.
    return undefined;
  }
}
