import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { HintFacts } from './hint-reactions.js';
import { LineRing } from './log-parser.js';
import type { PolledChild } from './metrics.js';
import type { TunnelLogger } from './options.js';
import type { ExitInfo } from './state.js';

/** One cloudflared (one generation) and what its output has said so far. */
export interface TunnelChild extends PolledChild, HintFacts {
  id: string;
  /** Our pid-file path on its command line; set at launch (after discovery). */
  marker: string;
  /** A locally managed tunnel's generated config, removed when the child exits. */
  configFile?: string;
  stateDir: string;
  proc?: ChildProcess;
  /** cloudflared's own pid (behind a Node guardian, reported by the guardian). */
  pid?: number;
  exited: Promise<ExitInfo>;
  resolveExited(info: ExitInfo): void;
  terminating?: Promise<ExitInfo>;
  /** This child's own output, for its error's stderr tail. */
  ring: LineRing;
}

/** The record of a generation about to be launched: nothing said, nothing connected. */
export function newTunnelChild(generation: number): TunnelChild {
  let resolveExited!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((r) => (resolveExited = r));
  return {
    generation,
    // Unique across generations, runs and processes: it names the pid file and the registry entry.
    id: `${process.pid}-${generation}-${randomBytes(6).toString('hex')}`,
    marker: '',
    stateDir: '',
    dnsChecked: false,
    rateLimitCertain: false,
    dnsPending: false,
    hostnameChecked: false,
    edgeErrors: 0,
    authFailures: 0,
    hints: new Set(),
    hintMessages: new Map(),
    registered: false,
    notReady: 0,
    exited,
    resolveExited,
    polling: false,
    ring: new LineRing(200),
  };
}

/**
 * Ends a child: SIGTERM, then SIGKILL to cloudflared and its guardian after `stopTimeoutMs`. Resolves with its
 * exit; concurrent calls share one escalation.
 */
export function terminateTunnelChild(
  child: TunnelChild,
  stopTimeoutMs: number,
  logger: TunnelLogger,
): Promise<ExitInfo> {
  if (child.exit) return Promise.resolve(child.exit);
  if (child.terminating) return child.terminating;
  const proc = child.proc;
  if (!proc) return child.exited;
  child.terminating = (async () => {
    const bounded = (ms: number) =>
      Promise.race([child.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), ms).unref?.())]);
    try {
      proc.kill('SIGTERM');
    } catch {
      // already gone
    }
    let info = await bounded(stopTimeoutMs);
    if (!info) {
      logger.warn(`tunnel: cloudflared ignored SIGTERM for ${stopTimeoutMs} ms; sending SIGKILL`);
      const kill = (pid: number | undefined) => {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      };
      kill(child.pid);
      // A Node guardian exits as its child did (and reaps it); SIGKILL it only if it does not.
      if (child.pid !== proc.pid) info = await bounded(1_000);
      if (!info) {
        kill(proc.pid);
        info = await bounded(2_000);
      }
    }
    return info ?? { code: null, signal: 'SIGKILL', generation: child.generation };
  })();
  return child.terminating;
}
