import { describe, expect, it } from 'vitest';
import { cn } from './cn';

describe('cn', () => {
  it('joins classes and drops falsy parts', () => {
    expect(cn('flex', false, null, undefined, '', 'items-center')).toBe('flex items-center');
  });

  it("lets a caller's class override the component's own of the same kind", () => {
    // Spinner: base size-4, a caller asks for size-3.
    expect(cn('inline-block size-4 animate-spin rounded-full', 'size-3')).toBe(
      'inline-block animate-spin rounded-full size-3',
    );
    expect(cn('min-h-touch px-3 text-sm md:min-h-8', 'px-4')).toBe('min-h-touch text-sm md:min-h-8 px-4');
    expect(cn('w-full', 'w-auto')).toBe('w-auto');
    // Different variants and refinements do not conflict.
    expect(cn('px-3 py-2 pr-12', 'md:px-4')).toBe('px-3 py-2 pr-12 md:px-4');
  });

  it("knows the theme's own names (globals.css @theme)", () => {
    expect(cn('min-h-touch min-w-touch', 'min-h-10')).toBe('min-w-touch min-h-10');
    expect(cn('shadow-panel', 'shadow-none')).toBe('shadow-none');
    expect(cn('bg-warn animate-band-pulse', 'animate-none')).toBe('bg-warn animate-none');
    // A colour token and a size are different things: both stay.
    expect(cn('text-sm text-fg-muted', 'text-accent')).toBe('text-sm text-accent');
    expect(cn('text-xs', 'text-[13px]')).toBe('text-[13px]');
  });
});
