// What every command group receives (STYLE §7): injected so tests and other front-ends can fill it.
import type { BandClient } from './client.js';
import type { Connection } from './config.js';
import type { ErrOutput, Output } from './output.js';

export interface CliStdin {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  off(event: 'data', listener: (chunk: Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface CliContext {
  /** The tRPC client; connected before any action that talks to the server runs. */
  readonly client: BandClient;
  /** Results (stdout). */
  readonly out: Output;
  /** Progress, hints, warnings (stderr). */
  readonly err: ErrOutput;
  /** stdout is a terminal. */
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The resolved server URL, home and token source (never print `token`). */
  readonly connection: Connection;
  /** Aborted on Ctrl+C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
  readonly stdin: CliStdin;
  /** Terminal size, and a listener for resizes (returns unsubscribe). */
  terminalSize(): { cols: number; rows: number } | undefined;
  onResize(listener: () => void): () => void;
  /**
   * Called by commands that finish cleanly by themselves after `signal` aborts (watch, attach, start):
   * main then waits for them instead of exiting at once with 130.
   */
  handleInterrupt(): void;
}
