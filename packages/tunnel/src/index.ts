// Public face of @band/tunnel: every export is listed by hand, grouped by topic.

// Tunnel
export { createTunnel, startTunnel, buildArgs, tunnelDefaults } from './create-tunnel.js';
export type { Tunnel, TunnelOptions, TunnelEvents, TunnelStatus, TunnelDeps, TunnelLogger } from './create-tunnel.js';

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
