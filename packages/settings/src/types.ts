// Contract of @band/settings. Implementations live beside this file; other packages rely on these shapes.

/** A coding agent definition in `settings.json` (`codingAgents[]`). */
export interface CodingAgentConfig {
  /** Stable id, referenced by `defaultCodingAgent`. */
  id: string;
  type: 'claude-code' | 'codex' | 'opencode';
  label: string;
  /** Executable override (else the CLI's usual name on PATH). */
  command?: string;
  /** Model override. */
  model?: string;
  maxTurns?: number;
}

/**
 * Tunnel settings: quick tunnels need none; a named tunnel needs a hostname and exactly one of `tokenFile` (a tunnel
 * managed in Cloudflare's dashboard) or `credentialsFile` (a locally managed one). Both at once is refused when the
 * settings are validated; neither is refused when a named tunnel starts (`NAMED_TUNNEL_INCOMPLETE`), so the settings
 * can be filled in one key at a time.
 */
export interface TunnelSettings {
  /** @default 'quick' */
  mode: 'quick' | 'named';
  /** Public hostname of a named tunnel, e.g. band.example.com. */
  hostname?: string;
  /** File holding the named tunnel's token (never put the token itself in argv or settings). */
  tokenFile?: string;
  /**
   * A locally managed tunnel's credentials file, written by `cloudflared tunnel create`
   * (`~/.cloudflared/<TunnelID>.json`). Band then writes the tunnel's ingress itself; nothing is configured in
   * Cloudflare's dashboard but the DNS route (`cloudflared tunnel route dns <TunnelID> <hostname>`). Excludes
   * `tokenFile`.
   */
  credentialsFile?: string;
  /** Path to cloudflared (else BAND_CLOUDFLARED_PATH, PATH, well-known directories). */
  cloudflaredPath?: string;
  /**
   * Named tunnels: the port of the origin listener on 127.0.0.1, bound only while the tunnel runs. The public
   * hostname's service in Cloudflare's dashboard is `http://127.0.0.1:<originPort>`. Quick tunnels use an ephemeral
   * port instead. Must differ from `webServerPort`.
   * @default 3457
   */
  originPort: number;
}

/** The validated content of `settings.json`. Unknown fields are preserved on write. */
export interface Settings {
  worktreesDir: string;
  codingAgents: CodingAgentConfig[];
  defaultCodingAgent: string | null;
  /** @default 3456 */
  webServerPort: number;
  notifications: { soundOnNeedsAttention: boolean };
  labels: unknown[];
  /** 64 lowercase hex characters. */
  tokenSecret: string;
  /** @default false */
  autoStartTunnel: boolean;
  tunnel: TunnelSettings;
  [unknownField: string]: unknown;
}
