import { describe, expect, it } from 'vitest';
import { cn } from './cn';

describe('cn', () => {
  it('joins class names and drops falsy parts', () => {
    expect(cn('flex', false, null, undefined, 'gap-2', '')).toBe('flex gap-2');
  });

  it('lets a later class override an earlier one of the same kind', () => {
    expect(cn('px-2 py-1', 'px-4')).toBe('py-1 px-4');
    expect(cn('w-full', 'w-64')).toBe('w-64');
    expect(cn('max-w-md', 'max-w-[12rem]')).toBe('max-w-[12rem]');
    expect(cn('text-fg', 'text-accent')).toBe('text-accent');
    expect(cn('bg-bg-elevated hover:bg-bg-hover', 'bg-accent hover:opacity-90')).toBe(
      'hover:bg-bg-hover bg-accent hover:opacity-90',
    );
    expect(cn('hidden', 'flex')).toBe('flex');
    expect(cn('rounded-md', 'rounded-full')).toBe('rounded-full');
    expect(cn('border border-border', 'border-2 border-danger/40')).toBe('border-2 border-danger/40');
    expect(cn('p-3', 'px-4')).toBe('p-3 px-4');
    expect(cn('px-4', 'p-3')).toBe('p-3');
    expect(cn('size-4', 'w-6')).toBe('size-4 w-6');
  });

  it('keeps classes that only look alike', () => {
    // A size and a colour, an alignment and a colour, a width and a colour.
    expect(cn('text-xs', 'text-fg-muted')).toBe('text-xs text-fg-muted');
    expect(cn('text-[13px]', 'text-accent')).toBe('text-[13px] text-accent');
    expect(cn('text-center', 'text-fg')).toBe('text-center text-fg');
    expect(cn('border', 'border-border', 'border-dashed', 'border-collapse')).toBe(
      'border border-border border-dashed border-collapse',
    );
    expect(cn('border-t', 'border-t-accent', 'border-b')).toBe('border-t border-t-accent border-b');
    expect(cn('rounded-lg', 'rounded-br-sm')).toBe('rounded-lg rounded-br-sm');
    expect(cn('font-mono', 'font-semibold')).toBe('font-mono font-semibold');
    expect(cn('flex', 'flex-col', 'flex-1', 'flex-wrap')).toBe('flex flex-col flex-1 flex-wrap');
    expect(cn('md:hidden', 'hidden', 'md:flex')).toBe('hidden md:flex');
  });

  it('keeps a class it has no group for, as a plain join does', () => {
    expect(cn('animate-spin', 'animate-pulse', 'bg-cover')).toBe('animate-spin animate-pulse bg-cover');
  });
});
