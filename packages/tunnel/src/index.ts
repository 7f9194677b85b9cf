// Public face of @band/tunnel: every export is listed by hand, grouped by topic.

// Tunnel
export { createTunnel, startTunnel } from './create-tunnel.js';
export type { Tunnel, TunnelEvents, TunnelStatus, TunnelDeps } from './create-tunnel.js';
export { tunnelDefaults } from './options.js';
export type { TunnelOptions, TunnelLogger } from './options.js';
export { buildArgs } from './launch.js';

// Locally managed named tunnels (credentials file, generated ingress)
export { readTunnelCredentials, buildLocalConfig } from './local-config.js';
export type { TunnelCredentials } from './local-config.js';

// State machine (pure)
export { transition, createMachine, nextDelay, defaultRestartPolicy } from './state.js';
export type {
  TunnelState,
  TunnelStateName,
  TunnelMode,
  EdgeProtocol,
  ExitInfo,
  RestartPolicy,
  Machine,
  MachineEvent,
  Effect,
  RetryDecision,
} from './state.js';

// Errors
export { TunnelError, isTunnelError, installHint, errorHints } from './errors.js';
export type { TunnelErrorCode, TunnelErrorOptions } from './errors.js';

// Binary discovery
export { resolveBinary, wellKnownDirs } from './binary.js';
export type { Launcher, ResolveBinaryOptions } from './binary.js';

// Logs
export { parseLogLine, recognize, redact, LineSplitter } from './log-parser.js';
export type { LogLine, LogLevel, LogHint } from './log-parser.js';

// Orphans
export { reapOrphans } from './orphans.js';
export type { ChildRecord, ReapDeps } from './orphans.js';
