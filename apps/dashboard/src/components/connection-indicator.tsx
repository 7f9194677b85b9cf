'use client';
import { useConnectionState } from '@/hooks/use-connection';
import { cn } from '@/lib/cn';

const LABELS = {
  connecting: 'Connecting…',
  connected: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
} as const;

/** The state of the live-update socket: every state has a visible face (DESIGN §8). */
export function ConnectionIndicator() {
  const state = useConnectionState();
  return (
    <div
      role="status"
      aria-live="polite"
      data-testid="connection-indicator"
      data-state={state}
      title={`Live updates: ${LABELS[state]}`}
      className={cn(
        'inline-flex items-center gap-2 rounded-full border px-2.5 py-1 text-xs font-medium',
        state === 'connected' && 'border-ok/30 text-ok',
        (state === 'connecting' || state === 'reconnecting') && 'border-warn/40 bg-warn-soft text-warn',
        state === 'offline' && 'border-danger/40 bg-danger-soft text-danger',
      )}
    >
      <span
        className={cn(
          'size-2 rounded-full',
          state === 'connected' ? 'bg-ok' : state === 'offline' ? 'bg-danger' : 'bg-warn animate-band-pulse',
        )}
      />
      <span>{LABELS[state]}</span>
    </div>
  );
}
