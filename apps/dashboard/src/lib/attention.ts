// "An agent needs attention" outside the page: a Web Notification (when the page is in the background and
// permission is granted), the app badge and the count in the title. Browser-only; every API is optional.

/** The title with a leading "(n) " count, or without one when n is 0. */
export function titleWithCount(title: string, count: number): string {
  const base = title.replace(/^\(\d+\) /, '');
  return count > 0 ? `(${count}) ${base}` : base;
}

/**
 * Shows the count of workspaces with something unread (done, or needing an answer) in the title and on the
 * installed app's icon.
 */
export function showAttentionCount(count: number): void {
  document.title = titleWithCount(document.title, count);
  const nav = navigator as Navigator & {
    setAppBadge?: (n?: number) => Promise<void>;
    clearAppBadge?: () => Promise<void>;
  };
  const badge = count > 0 ? nav.setAppBadge?.(count) : nav.clearAppBadge?.();
  badge?.catch(() => {});
}

/** In the background: hidden (another app, the phone locked) or not focused (another window in front). */
export function isInBackground(): boolean {
  return document.visibilityState === 'hidden' || !document.hasFocus();
}

/**
 * A notification for one workspace, through the service worker (Android shows only those; tapping it opens
 * the workspace, see public/sw.js). Only while the page is in the background and permission is granted. Returns whether
 * one was shown.
 */
export async function notifyNeedsAttention(
  workspaceId: string,
  name: string | undefined,
  status: 'done' | 'needs-attention',
): Promise<boolean> {
  if (!isInBackground()) return false;
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return false;
  const registration = await activeRegistration(10_000);
  if (!registration) return false;
  const isDone = status === 'done';
  const title = isDone ? `${name ?? 'The agent'} is done` : `${name ?? 'An agent'} needs you`;
  await registration.showNotification(title, {
    body: isDone
      ? 'The agent finished. Tap to read its reply.'
      : 'A question, an approval or a failed turn waits for you. Tap to open the workspace.',
    tag: `band-attention-${workspaceId}`,
    icon: '/icons/icon-192.png',
    data: { workspaceId },
  });
  return true;
}

/**
 * The service worker's registration once its worker is active: `showNotification` throws while the worker is
 * still installing, which on a first visit (or a busy phone) is the moment an agent may finish. Waits for it a
 * little while; undefined when there is no worker (not a secure context, or it never activates).
 */
async function activeRegistration(timeoutMs: number): Promise<ServiceWorkerRegistration | undefined> {
  const container = navigator.serviceWorker;
  if (!container) return undefined;
  const current = await container.getRegistration();
  if (current?.active) return current;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, timeoutMs, undefined);
  });
  try {
    return await Promise.race([container.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Asks once for notification permission (must follow a user gesture). Resolves to the resulting permission. */
export async function requestNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  if (Notification.permission !== 'default') return Notification.permission;
  return Notification.requestPermission();
}
