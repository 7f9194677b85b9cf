import { extendTailwindMerge } from 'tailwind-merge';

/**
 * Joins class names, dropping falsy parts, and resolves Tailwind conflicts with tailwind-merge: the later class of
 * a group wins (`cn('px-3', 'px-4')` is `px-4`), so a caller's `className` overrides a component's base classes.
 * The theme's own names (globals.css `@theme`) are taught to it, so `min-h-touch` conflicts with `min-h-10`.
 */
const merge = extendTailwindMerge({
  extend: { theme: { spacing: ['touch'], shadow: ['panel'], animate: ['band-pulse'] } },
});

export function cn(...parts: Array<string | false | null | undefined>): string {
  return merge(...parts);
}
