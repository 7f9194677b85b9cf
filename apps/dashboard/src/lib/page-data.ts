import 'server-only';
import type { BandCaller } from '@band/api';
import { HISTORY_PAGE } from '@/lib/history-page';
import type { ChatPageData, ShellData } from '@/lib/types';

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

function pageCaller(): BandCaller | undefined {
  const scope = (globalThis as Record<symbol, PageScope | undefined>)[Symbol.for('band.pageRequest')];
  return scope?.getStore()?.caller();
}

/** As the client would have received it over HTTP (JSON), so hydration renders exactly what the server did. */
const asJson = <T>(data: T): T => JSON.parse(JSON.stringify(data)) as T;

export async function readShellData(): Promise<ShellData | undefined> {
  try {
    const caller = pageCaller();
    if (!caller) return undefined;
    const data = {
      projects: await caller.projects.list(),
      workspaces: await caller.workspaces.list(),
      statuses: await caller.chats.statusList(),
    };
    return asJson(data);
  } catch {
    // The client's own request shows the error, with its hint, where the list would be.
    return undefined;
  }
}

/**
 * The chat a workspace's Chat pane opens and the newest page of its history (issue 19: a phone paints the latest
 * messages with the page, instead of after the scripts, a `workspaces.list` and a `chats.history`). The chat is the
 * one the pane picks: the workspace's active chat, else its newest. Undefined without a chat or a page scope.
 */
export async function readChatPage(workspaceId: string): Promise<ChatPageData | undefined> {
  try {
    const caller = pageCaller();
    if (!caller) return undefined;
    // By id only: `get` also resolves a branch or an id prefix, which the URL's id must not stand for.
    const workspace = await caller.workspaces.get({ workspace: workspaceId });
    if (workspace.id !== workspaceId) return undefined;
    const chatId = workspace.activeChatId ?? (await caller.chats.list({ workspaceId }))[0]?.id;
    if (!chatId) return undefined;
    const history = await caller.chats.history({ chatId, beforeSeq: Number.MAX_SAFE_INTEGER, limit: HISTORY_PAGE });
    return asJson({ chatId, history });
  } catch {
    // The pane reads the page itself and shows the error, with its hint.
    return undefined;
  }
}
