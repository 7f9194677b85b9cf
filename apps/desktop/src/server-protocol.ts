// The IPC messages between the desktop app and its server child (`server-child.ts`). Plain data only.

/** Child → parent. */
export type ServerChildMessage =
  | { type: 'ready'; url: string; port: number; signInUrl: string }
  | { type: 'error'; message: string; code?: string; hint?: string }
  | { type: 'sign-in-url'; requestId: number; url: string | null; error?: string };

/** Parent → child. */
export type ServerParentMessage = { type: 'stop' } | { type: 'sign-in-url'; requestId: number };

/** Narrows an untrusted IPC payload to a child message (the child may be any script BAND_DESKTOP_SERVER points at). */
export function parseChildMessage(value: unknown): ServerChildMessage | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const m = value as Record<string, unknown>;
  const str = (v: unknown) => typeof v === 'string';
  switch (m.type) {
    case 'ready':
      return str(m.url) && typeof m.port === 'number' && str(m.signInUrl) ? (m as ServerChildMessage) : undefined;
    case 'error':
      return str(m.message) && (m.code === undefined || str(m.code)) && (m.hint === undefined || str(m.hint))
        ? (m as ServerChildMessage)
        : undefined;
    case 'sign-in-url':
      return typeof m.requestId === 'number' && (m.url === null || str(m.url)) ? (m as ServerChildMessage) : undefined;
    default:
      return undefined;
  }
}
