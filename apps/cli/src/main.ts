// `band`: builds the context, runs the command tree, and maps every outcome to an exit code (only here).
import { CommanderError } from 'commander';
import type { BandClientHandle } from './client.js';
import { assertSafeTransport, type Connection, resolveConnection, resolveOutputFormat } from './config.js';
import type { CliContext } from './context.js';
import { adoptPackageError, CliError, EXIT_CODES } from './errors.js';
import { colorEnabled, createErrOutput, createOutput, createStyle, type ErrOutput, type Output } from './output.js';
import { commandPath, createProgram, forEachCommand, OFFLINE_COMMANDS } from './program.js';

const env = process.env;
const errStyle = createStyle(colorEnabled(process.stderr, env));
const err: ErrOutput = createErrOutput(process.stderr, errStyle);
const controller = new AbortController();

let out: Output = createOutput(process.stdout, 'text', createStyle(colorEnabled(process.stdout, env)));
let connection: Connection | undefined;
let handle: BandClientHandle | undefined;
let interruptHandled = false;
let debug = env.BAND_DEBUG === '1';
/** The top-level command being run (`start`, `tunnel`…), once commander has picked it. */
let runningCommand = '';
// The tRPC client (and ws) load only for commands that talk to a server.
let clientModule: typeof import('./client.js') | undefined;

const ctx: CliContext = {
  get client() {
    if (!handle) throw new CliError('ERROR', 'internal: the client is not connected for this command');
    return handle.client;
  },
  get out() {
    return out;
  },
  err,
  isTTY: process.stdout.isTTY === true,
  env,
  cwd: process.cwd(),
  get connection() {
    if (!connection) throw new CliError('ERROR', 'internal: the connection is not resolved');
    return connection;
  },
  signal: controller.signal,
  stdin: process.stdin,
  terminalSize: () => (process.stdout.isTTY ? { cols: process.stdout.columns, rows: process.stdout.rows } : undefined),
  onResize(listener) {
    process.stdout.on('resize', listener);
    return () => process.stdout.off('resize', listener);
  },
  handleInterrupt() {
    interruptHandled = true;
  },
};

function exit(code: number): never {
  handle?.close();
  process.exit(code);
}

function report(error: unknown): number {
  const mapped = adoptPackageError(connection && clientModule ? clientModule.toCliError(error, connection) : error);
  if (mapped instanceof CliError) {
    err.error(mapped.message, mapped.hint);
    if (debug && mapped.cause instanceof Error && mapped.cause.stack) err.write(`${mapped.cause.stack}\n`);
    return mapped.exitCode;
  }
  const e = mapped as Error;
  err.error(e?.message ?? String(mapped));
  err.info('This looks like a bug in band: please report it with the command you ran (add --debug for details).');
  if (debug && e?.stack) err.write(`${e.stack}\n`);
  return EXIT_CODES.ERROR;
}

const onSignal = (signal: NodeJS.Signals) => {
  if (controller.signal.aborted || !interruptHandled) {
    if (!interruptHandled && signal === 'SIGINT') process.stderr.write('\n');
    exit(signal === 'SIGTERM' ? 143 : EXIT_CODES.INTERRUPTED);
  }
  controller.abort(new CliError('INTERRUPTED', `Interrupted (${signal})`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
const gone = { stdout: false, stderr: false };
function onOutputError(stream: 'stdout' | 'stderr', error: NodeJS.ErrnoException) {
  // Writes after the first EPIPE fail too (ERR_STREAM_DESTROYED): the reader is gone, there is nothing to report.
  if (gone[stream]) return;
  if (error.code !== 'EPIPE') throw error;
  gone[stream] = true;
  // `band start | head -1` (or `2>&1 | head`): the server stops in order, as on SIGTERM (tunnel, agents, terminals,
  // SQLite), instead of a process.exit() in the middle of its start or its requests.
  if (runningCommand === 'start' && interruptHandled) controller.abort(new CliError('INTERRUPTED', `${stream} closed`));
  // `band … | head`: the reader went away; that is not an error of ours. Without stderr, carry on without messages.
  else if (stream === 'stdout') exit(EXIT_CODES.OK);
}
process.stdout.on('error', (error: NodeJS.ErrnoException) => onOutputError('stdout', error));
process.stderr.on('error', (error: NodeJS.ErrnoException) => onOutputError('stderr', error));

const program = createProgram(ctx);
forEachCommand(program, (cmd) => {
  cmd.exitOverride();
  cmd.configureOutput({
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    outputError: (text, write) => write(errStyle.red(text)),
  });
});

program.hook('preAction', async (_root, action) => {
  const globals = action.optsWithGlobals() as { output?: string; debug?: boolean };
  debug ||= globals.debug === true;
  out = createOutput(process.stdout, resolveOutputFormat(globals.output, env), out.style);
  const top = commandPath(action).split(' ')[0] ?? '';
  runningCommand = top;
  if (top === 'completion') return;
  connection = await resolveConnection(env);
  if (OFFLINE_COMMANDS.has(top)) return;
  assertSafeTransport(connection);
  clientModule = await import('./client.js');
  // Before the first request that carries the token: a plain-http server must prove it is ours (F11), on the very
  // address we reached; every later request goes to that address (issue 16 #1).
  connection = clientModule.pinConnection(connection, await clientModule.verifyServerOnce(connection));
  handle = clientModule.createBandClient(connection, {
    onDisconnect: () => err.progress('Connection lost; reconnecting…'),
    onReconnect: () => err.progress('Reconnected.'),
    onUnreachable: (lastError) => exit(report(clientModule!.unreachableError(connection!, lastError))),
  });
});

try {
  await program.parseAsync(process.argv);
  exit(controller.signal.aborted && !interruptHandled ? EXIT_CODES.INTERRUPTED : EXIT_CODES.OK);
} catch (error) {
  if (error instanceof CommanderError) {
    // help and --version exit 0; every other commander error is a usage error (the message is already printed).
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0)
      exit(EXIT_CODES.OK);
    exit(EXIT_CODES.USAGE);
  }
  exit(report(error));
}
