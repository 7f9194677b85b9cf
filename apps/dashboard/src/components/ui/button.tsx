import type { ButtonHTMLAttributes } from 'react';
import { cn } from '@/lib/cn';

type Variant = 'primary' | 'secondary' | 'ghost' | 'link' | 'danger';
type Size = 'sm' | 'md' | 'icon';

const VARIANTS: Record<Variant, string> = {
  primary: 'bg-accent text-accent-fg hover:opacity-90',
  secondary: 'bg-bg-elevated text-fg border border-border hover:bg-bg-hover',
  ghost: 'text-fg-muted hover:text-fg hover:bg-bg-hover',
  link: 'text-accent hover:bg-bg-hover',
  danger: 'bg-danger-soft text-danger border border-danger/40 hover:bg-danger hover:text-bg',
};

// Every size keeps a 44 px touch target on phones (WCAG 2.5.5); desktop (`md:`) may go smaller.
const SIZES: Record<Size, string> = {
  sm: 'min-h-touch px-3 text-sm md:min-h-8',
  md: 'min-h-touch px-4 text-sm md:min-h-9',
  icon: 'min-h-touch min-w-touch md:min-h-9 md:min-w-9 justify-center',
};

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  size?: Size;
}

export function Button({ variant = 'secondary', size = 'md', className, type = 'button', ...props }: ButtonProps) {
  return (
    <button
      type={type}
      // An icon-only button shows its accessible name as a tooltip.
      title={props.title ?? (size === 'icon' ? props['aria-label'] : undefined)}
      className={cn(
        'inline-flex shrink-0 cursor-pointer select-none items-center gap-2 rounded-md font-medium transition-colors',
        'disabled:cursor-not-allowed disabled:opacity-50',
        VARIANTS[variant],
        SIZES[size],
        className,
      )}
      {...props}
    />
  );
}

export interface IconButtonProps extends Omit<ButtonProps, 'size' | 'aria-label'> {
  /** What the button does: its accessible name, shown as a tooltip too. */
  label: string;
}

/** A button that shows only an icon: ghost unless told otherwise, a 44 px touch target, named by `label`. */
export function IconButton({ label, variant = 'ghost', ...props }: IconButtonProps) {
  return <Button variant={variant} size="icon" aria-label={label} {...props} />;
}
