'use client';
import { useRouter } from 'next/navigation';
import { useEffect } from 'react';

/**
 * Registers public/sw.js (the offline page when Band cannot be reached, and notification taps) once the page has
 * loaded, and follows the worker's "open this workspace" messages without reloading the page.
 */
export function ServiceWorker() {
  const router = useRouter();
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    const register = () => {
      navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {});
    };
    if (document.readyState === 'complete') register();
    else window.addEventListener('load', register, { once: true });
    const onMessage = (event: MessageEvent) => {
      const data = event.data as { type?: unknown; path?: unknown } | null;
      if (
        data?.type === 'band:open' &&
        typeof data.path === 'string' &&
        data.path.startsWith('/') &&
        !data.path.startsWith('//')
      ) {
        router.push(data.path);
      }
    };
    navigator.serviceWorker.addEventListener('message', onMessage);
    return () => {
      window.removeEventListener('load', register);
      navigator.serviceWorker.removeEventListener('message', onMessage);
    };
  }, [router]);
  return null;
}
