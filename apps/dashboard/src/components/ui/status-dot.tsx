import { cn } from '@/lib/cn';

/** Agent status (DESIGN §7): waiting, working (pulses), needs attention (stands out). */
export type AgentStatus = 'waiting' | 'working' | 'needs-attention' | 'unknown';

const LABELS: Record<AgentStatus, string> = {
  waiting: 'Waiting',
  working: 'Working',
  'needs-attention': 'Needs attention',
  unknown: 'No agent',
};

export function StatusDot({ status, className }: { status: AgentStatus; className?: string }) {
  return (
    <span
      role="img"
      aria-label={LABELS[status]}
      title={LABELS[status]}
      data-status={status}
      className={cn('relative inline-flex size-2.5 shrink-0 rounded-full', className, {
        waiting: 'bg-fg-subtle',
        working: 'bg-ok animate-band-pulse',
        'needs-attention': 'bg-warn ring-4 ring-warn/30',
        unknown: 'border border-fg-subtle',
      }[status])}
    />
  );
}

export function statusLabel(status: AgentStatus): string {
  return LABELS[status];
}
