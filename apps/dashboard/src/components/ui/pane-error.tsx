'use client';
import { Component, type ReactNode } from 'react';
import { Button } from '@/components/ui/button';

/** What a view that failed to render shows instead: which part failed, the error, and Retry. */
export function PaneFailed({ what, error, onRetry }: { what: string; error: Error; onRetry: () => void }) {
  return (
    <div role="alert" data-testid="pane-error" className="flex flex-col items-center gap-2 px-6 py-12 text-center">
      <p className="font-medium">{what} could not be shown</p>
      <p className="max-w-prose text-sm text-fg-muted" data-testid="pane-error-message">
        {error.message || String(error)}
      </p>
      <p className="text-sm text-fg-muted">
        The rest of Band still works. If this happens again after Retry, reload the page.
      </p>
      <Button size="sm" onClick={onRetry} data-testid="pane-error-retry">
        Retry
      </Button>
    </div>
  );
}

/**
 * Keeps one pane's failure in that pane: the sidebar and the other panes go on working. Retry calls `onRetry`
 * (which drops the pane's cached answers) and mounts the pane again, so its queries run again.
 */
export class PaneErrorBoundary extends Component<
  { what: string; onRetry?: () => void; children: ReactNode },
  { error: Error | null }
> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error) {
    console.error(`${this.props.what} failed to render:`, error);
  }

  override render() {
    if (this.state.error)
      return (
        <PaneFailed
          what={this.props.what}
          error={this.state.error}
          onRetry={() => {
            this.props.onRetry?.();
            this.setState({ error: null });
          }}
        />
      );
    return this.props.children;
  }
}
