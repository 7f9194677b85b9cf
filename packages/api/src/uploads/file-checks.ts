// Pure checks of an uploaded file: what its bytes are, and a name safe to store.

/** The image types Band hands to agents as images, each recognised by its first bytes. */
export type ImageMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const ascii = (bytes: Uint8Array, at: number, text: string) =>
  Buffer.from(bytes.subarray(at, at + text.length)).toString('latin1') === text;

/** The image type the bytes start with (PNG, JPEG, GIF, WebP), or undefined. */
export function sniffImageType(bytes: Uint8Array): ImageMediaType | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 'PNG\r\n\x1a\n')) return 'image/png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  if (ascii(bytes, 0, 'GIF87a') || ascii(bytes, 0, 'GIF89a')) return 'image/gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 'RIFF') && ascii(bytes, 8, 'WEBP')) return 'image/webp';
  return undefined;
}

/** The image type a declared media type claims (`image/jpg` is a common alias), or undefined for anything else. */
export function claimedImageType(declared: string): ImageMediaType | undefined {
  const type = declared.split(';')[0]!.trim().toLowerCase();
  if (type === 'image/jpg' || type === 'image/pjpeg') return 'image/jpeg';
  return (['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const).find((t) => t === type);
}

/** A declared media type kept as a label (never trusted): `type/subtype`, else `application/octet-stream`. */
export function cleanMediaType(declared: string): string {
  const type = declared.split(';')[0]!.trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/.test(type)
    ? type
    : 'application/octet-stream';
}

const MAX_NAME_CHARS = 100;

/**
 * A file name safe to store and show: no path separators (each becomes `_`), no control or format characters
 * (bidi overrides and isolates, zero-width marks), no leading dots, at most 100 characters (the extension kept).
 * Never empty: `file` when nothing is left.
 */
export function sanitizeFileName(raw: string): string {
  let name = raw
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/[/\\:*?"<>|]/g, '_')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[.\s]+/, '');
  const chars = [...name];
  if (chars.length > MAX_NAME_CHARS) {
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 && name.length - dot <= 12 ? name.slice(dot) : '';
    name = chars.slice(0, MAX_NAME_CHARS - [...ext].length).join('') + ext;
  }
  return name === '' ? 'file' : name;
}
