/**
 * Joins class names, dropping falsy parts. It does not resolve conflicts (`px-2` and `px-4` both stay, and CSS order
 * decides), so components take overrides as props (variant, size), not as conflicting utilities. tailwind-merge
 * would resolve them, for about 8 KB gzip on every route's first load: not worth it while no caller needs it.
 */
export function cn(...parts: Array<string | false | null | undefined>): string {
  return parts.filter(Boolean).join(' ');
}
