'use client';
import { type ReactNode, useEffect, useRef } from 'react';
import { cn } from '@/lib/cn';

/**
 * A modal panel: slides in from the left (menus) or the right (Mobile Access) on desktop, and fills the
 * screen on phones. Escape and the backdrop close it; focus moves into it when it opens.
 */
export function Sheet({
  open,
  onClose,
  side = 'right',
  title,
  children,
  testId,
}: {
  open: boolean;
  onClose: () => void;
  side?: 'left' | 'right';
  title: string;
  children: ReactNode;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    ref.current?.focus();
    return () => window.removeEventListener('keydown', onKey);
  }, [open, onClose]);
  if (!open) return null;
  return (
    <div className="fixed inset-0 z-50 flex" role="presentation">
      <button
        type="button"
        aria-label="Close"
        tabIndex={-1}
        className="absolute inset-0 cursor-default bg-black/50"
        onClick={onClose}
        data-testid={testId ? `${testId}-backdrop` : undefined}
      />
      <div
        ref={ref}
        role="dialog"
        aria-modal="true"
        aria-label={title}
        tabIndex={-1}
        data-testid={testId}
        className={cn(
          'relative z-10 flex h-full w-full flex-col overflow-y-auto border-border bg-bg-elevated shadow-panel',
          'outline-none sm:max-w-md',
          side === 'right' ? 'ml-auto sm:border-l' : 'mr-auto sm:max-w-xs sm:border-r',
        )}
      >
        {children}
      </div>
    </div>
  );
}
