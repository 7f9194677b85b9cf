'use client';
import { type ComponentType, lazy, Suspense } from 'react';

/**
 * A component whose code loads the first time it renders: for what opens on a tap (menus, panels, forms), never on
 * the first screen nor on the server. React's own `lazy` does it; next/dynamic would add its loader (about 2 KB
 * gzip) to the first-load JS of every page that uses it. Nothing shows while the code loads (as with next/dynamic
 * and no `loading`); a failed load reaches the error boundary, as it does there.
 */
export function onDemand<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  const Lazy = lazy(() => load().then((component) => ({ default: component })));
  // biome-ignore lint/correctness/noComponentHookFactories: called once per component, at module level
  return function OnDemand(props: P) {
    return (
      <Suspense fallback={null}>
        <Lazy {...props} />
      </Suspense>
    );
  };
}
