import { z } from 'zod';

/** 64 lowercase hex characters (32 random bytes). */
export const TOKEN_SECRET_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The port of a named tunnel's origin listener, `http://127.0.0.1:<originPort>`: the service you enter for the public
 * hostname in Cloudflare's dashboard. Bound only while the tunnel runs.
 */
export const DEFAULT_TUNNEL_ORIGIN_PORT = 3457;

export const codingAgentConfigSchema = z.looseObject({
  id: z.string().min(1),
  type: z.enum(['claude-code', 'codex', 'opencode']),
  label: z.string(),
  command: z.string().optional(),
  model: z.string().optional(),
  maxTurns: z.number().int().positive().optional(),
});

export const tunnelSettingsSchema = z.looseObject({
  mode: z.enum(['quick', 'named']).default('quick'),
  hostname: z.string().min(1).optional(),
  tokenFile: z.string().min(1).optional(),
  credentialsFile: z.string().min(1).optional(),
  cloudflaredPath: z.string().min(1).optional(),
  originPort: z.number().int().min(1).max(65535).default(DEFAULT_TUNNEL_ORIGIN_PORT),
});

/**
 * The schema of `settings.json`. Unknown fields are kept (loose objects). `worktreesDir` and `tokenSecret` have no
 * static default: `loadSettings` fills them (from the home directory and fresh random bytes) before parsing.
 */
export const settingsSchema = z.looseObject({
  worktreesDir: z.string().min(1),
  codingAgents: z.array(codingAgentConfigSchema).default([]),
  defaultCodingAgent: z.string().nullable().default(null),
  webServerPort: z.number().int().min(1).max(65535).default(3456),
  notifications: z.looseObject({ soundOnNeedsAttention: z.boolean().default(true) }).prefault({}),
  labels: z.array(z.unknown()).default([]),
  tokenSecret: z.string().regex(TOKEN_SECRET_PATTERN),
  autoStartTunnel: z.boolean().default(false),
  tunnel: tunnelSettingsSchema.prefault({}),
});

/** Top-level keys Band knows (in the docs' order). */
export const settingsKeys = Object.freeze(Object.keys(settingsSchema.shape));

/**
 * Top-level keys a remote client (a phone through the tunnel) may set: what the dashboard shows and which configured
 * agent answers by default. Every other key is local-only, because it chooses a program Band runs
 * (`codingAgents[].command`, `tunnel.cloudflaredPath`), a port (`webServerPort`), the tunnel (`autoStartTunnel`,
 * `tunnel.mode`/`hostname`/`tokenFile`/`credentialsFile`), the token (`tokenSecret`) or where Band creates and deletes
 * worktrees (`worktreesDir`). An allowlist: a key added later is local-only until it is listed here.
 */
export const remoteSettableKeys: readonly string[] = Object.freeze(['defaultCodingAgent', 'notifications', 'labels']);

/**
 * True when the dotted setting path (`tunnel.cloudflaredPath`, `notifications.soundOnNeedsAttention`) is local-only.
 */
export function isLocalOnlySetting(path: string): boolean {
  return !remoteSettableKeys.includes(path.split('.')[0] ?? '');
}
