import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes } from 'react';
import { cn } from '@/lib/cn';

const CONTROL =
  'min-h-touch rounded-md border border-border bg-bg-sunken px-3 text-base text-fg placeholder:text-fg-subtle ' +
  'focus:border-accent focus:outline-none md:min-h-9 md:text-sm';

/** What a phone's keyboard must leave as typed: no capital first letter, autocorrect or spell check. */
const VERBATIM = { autoCapitalize: 'off', autoCorrect: 'off', spellCheck: false } as const;

export function Input({
  className,
  verbatim,
  ...props
}: InputHTMLAttributes<HTMLInputElement> & {
  /** A name, path, command, model or branch: typed exactly, never "corrected" by the keyboard. */
  verbatim?: boolean;
}) {
  // Full width unless the caller sets a width (`w-auto`, `w-64`): cn lets the caller's win.
  return <input className={cn(CONTROL, 'w-full', className)} {...(verbatim ? VERBATIM : null)} {...props} />;
}

export function Select({ className, ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className={cn(CONTROL, 'pr-8 w-full', className)} {...props} />;
}

export function Field({
  label,
  hint,
  children,
  htmlFor,
}: {
  label: string;
  hint?: ReactNode;
  children: ReactNode;
  htmlFor?: string;
}) {
  return (
    <div className="flex flex-col gap-1.5">
      <label htmlFor={htmlFor} className="text-sm font-medium text-fg">
        {label}
      </label>
      {children}
      {hint ? <p className="text-xs text-fg-subtle">{hint}</p> : null}
    </div>
  );
}

export function Switch({
  checked,
  onChange,
  label,
  id,
  disabled,
  ...rest
}: {
  checked: boolean;
  onChange: (v: boolean) => void;
  label: string;
  id?: string;
  disabled?: boolean;
  'data-testid'?: string;
}) {
  return (
    <button
      id={id}
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      disabled={disabled}
      onClick={() => onChange(!checked)}
      className={
        'inline-flex min-h-touch min-w-touch cursor-pointer items-center justify-center disabled:opacity-50 ' +
        'md:min-h-8'
      }
      {...rest}
    >
      <span
        className={cn(
          'relative inline-flex h-6 w-11 rounded-full transition-colors',
          checked ? 'bg-accent' : 'bg-bg-active',
        )}
      >
        <span
          className={cn(
            'absolute top-0.5 size-5 rounded-full bg-fg shadow transition-transform',
            checked ? 'translate-x-5.5' : 'translate-x-0.5',
          )}
        />
      </span>
    </button>
  );
}
