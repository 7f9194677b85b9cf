import { cn } from '@/lib/cn';

/**
 * Agent status (DESIGN §7): waiting, working (pulses), done and unread (accent), needs you (stands out:
 * an approval, a question, a failed turn: not only an answer, so the label does not say one).
 */
export type AgentStatus = 'waiting' | 'working' | 'done' | 'needs-attention' | 'unknown';

const LABELS: Record<AgentStatus, string> = {
  waiting: 'Waiting',
  working: 'Working',
  done: 'Done, unread',
  'needs-attention': 'Needs you',
  unknown: 'No agent',
};

export function StatusDot({ status, className }: { status: AgentStatus; className?: string }) {
  return (
    <span
      role="img"
      aria-label={LABELS[status]}
      title={LABELS[status]}
      data-status={status}
      className={cn(
        'relative inline-flex size-2.5 shrink-0 rounded-full',
        className,
        {
          waiting: 'bg-fg-subtle',
          working: 'bg-ok animate-band-pulse',
          done: 'bg-accent',
          'needs-attention': 'bg-warn ring-4 ring-warn/30',
          unknown: 'border border-fg-subtle',
        }[status],
      )}
    />
  );
}

export function statusLabel(status: AgentStatus): string {
  return LABELS[status];
}

/** Something the user has not looked at yet: a finished turn, or one that needs their answer. */
export function isUnread(status: AgentStatus): status is 'done' | 'needs-attention' {
  return status === 'done' || status === 'needs-attention';
}
