/** Joins class names, dropping falsy parts. Later classes are appended, so callers put overrides last. */
export function cn(...parts: Array<string | false | null | undefined>): string {
  return parts.filter(Boolean).join(' ');
}
