import { cn } from '@/lib/cn';

/** Sizes as a prop, not a class: `cn` does not resolve conflicts, so a `size-3` class would lose to `size-4`. */
const SIZES = { sm: 'size-3', md: 'size-4', lg: 'size-8' } as const;

export function Spinner({
  className,
  label = 'Loading',
  size = 'md',
}: {
  className?: string;
  label?: string;
  size?: keyof typeof SIZES;
}) {
  return (
    <span
      role="status"
      aria-label={label}
      className={cn(
        'inline-block animate-spin rounded-full border-2 border-fg-subtle border-t-accent',
        SIZES[size],
        className,
      )}
    />
  );
}
