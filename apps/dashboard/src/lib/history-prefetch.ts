// The newest page of a workspace's chat, asked for while the page is still loading (issue 18: a long chat opens in
// under a second on a phone). The Chat pane learns its chat from `workspaces.list`, which is answered only after
// hydration; the chat this browser last showed in that workspace is remembered (ids only), so the page can be read
// from the moment this module runs, alongside the first calls instead of after them.
import { getBandClient } from '@/lib/trpc';
import type { ChatHistoryPage } from '@/lib/types';

/** Events per history page: the newest page opens the chat, older ones load as the reader scrolls up. */
export const HISTORY_PAGE = 500;

const KEY = 'band:chat-of:';
/** The page asked for while this document loaded (one URL, so at most one chat), until the pane takes it. */
let early: { chatId: string; page: Promise<ChatHistoryPage> } | undefined;

function readNewestPage(chatId: string): Promise<ChatHistoryPage> {
  return getBandClient().client.chats.history.query({
    chatId,
    beforeSeq: Number.MAX_SAFE_INTEGER,
    limit: HISTORY_PAGE,
  });
}

/**
 * The newest page of `chatId`, as `useChatStream` opens a chat: the one asked for early if it is this chat's (once:
 * the next caller reads anew), else read now. A page of any age is good: the stream resumes after the page's last
 * event, whatever came since. A failed early read is read again.
 */
export function takeNewestPage(chatId: string): Promise<ChatHistoryPage> {
  const taken = early?.chatId === chatId ? early.page : undefined;
  if (taken) early = undefined;
  return taken ? taken.catch(() => readNewestPage(chatId)) : readNewestPage(chatId);
}

/** Remembers which chat the workspace showed, for the next time this browser opens it. */
export function rememberChat(workspaceId: string, chatId: string): void {
  try {
    if (window.localStorage.getItem(KEY + workspaceId) !== chatId)
      window.localStorage.setItem(KEY + workspaceId, chatId);
  } catch {
    // Storage refused (private mode, quota): the page is then read when the pane knows its chat, as before.
  }
}

/** On a workspace's URL, asks for the newest page of the chat it showed last time, at once. */
function prefetchFromUrl(): void {
  const match = /^\/w\/([^/]+)\/?$/.exec(window.location.pathname);
  if (!match) return;
  let chatId: string | null = null;
  try {
    chatId = window.localStorage.getItem(KEY + decodeURIComponent(match[1]!));
  } catch {
    return;
  }
  if (!chatId) return;
  const page = readNewestPage(chatId);
  page.catch(() => {});
  const slot = { chatId, page };
  early = slot;
  // Not taken (the chat changed since): dropped, not held for the whole visit.
  setTimeout(() => {
    if (early === slot) early = undefined;
  }, 30_000);
}

if (typeof window !== 'undefined') prefetchFromUrl();
