'use client';
import { PaneFailed } from '@/components/ui/pane-error';

// A page that throws while rendering shows this inside the app shell (sidebar and menu stay), not a blank app.
export default function RouteError({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <main className="flex min-h-0 flex-1 flex-col">
      <h1 className="sr-only">Something went wrong</h1>
      <PaneFailed what="This page" error={error} onRetry={reset} />
    </main>
  );
}
