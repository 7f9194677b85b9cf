'use client';
import { useRouter } from 'next/navigation';
import type { AnchorHTMLAttributes, MouseEvent } from 'react';

export interface AppLinkProps extends AnchorHTMLAttributes<HTMLAnchorElement> {
  href: string;
}

/**
 * A link to a page of the dashboard: a plain `<a>` that navigates in the app (router.push) on a plain left click and
 * leaves every other click to the browser (a new tab, a download, a modifier key). The page behind it is fetched on
 * intent, when a pointer comes over it or a finger touches it, not for every link in view.
 *
 * Why not `next/link`: it is about 4 KB gzip on every page's first load (its URL formatting, link status and
 * viewport prefetching), for behaviour the dashboard does not use; a phone pays for it in script time (issue 19).
 */
export function AppLink({ href, onClick, onPointerEnter, onTouchStart, target, ...props }: AppLinkProps) {
  const router = useRouter();
  const prefetch = () => router.prefetch(href);
  const navigate = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    const modified = event.metaKey || event.ctrlKey || event.shiftKey || event.altKey;
    if (event.defaultPrevented || event.button !== 0 || modified || (target && target !== '_self')) return;
    event.preventDefault();
    router.push(href);
  };
  return (
    <a
      {...props}
      href={href}
      target={target}
      onClick={navigate}
      onPointerEnter={(event) => {
        onPointerEnter?.(event);
        prefetch();
      }}
      onTouchStart={(event) => {
        onTouchStart?.(event);
        prefetch();
      }}
    />
  );
}
