// The Band server as a child of the desktop app. Runs `startServer` and reports over IPC, so the sign-in link
// never appears on a command line, in a log, or on stdout. Being a separate process means quitting the app can
// stop the server and everything under it by process tree, even if the server itself hangs.
import type { ServerChildMessage, ServerParentMessage } from './server-protocol.js';

function send(message: ServerChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) return resolve();
    process.send(message, undefined, {}, () => resolve());
  });
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const write = (level: string) => (message: string) => process.stderr.write(`${level} ${message}\n`);
const logger = { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };

const home = flag('--home');
const portFlag = flag('--port');
const port = portFlag === undefined ? undefined : Number(portFlag);

try {
  const { startServer } = await import('@band/server/start');
  const server = await startServer({ home, port, logger });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= server
      .close()
      .catch((error: unknown) => logger.error(`close failed: ${(error as Error).message}`))
      .then(() => process.exit(0));
    return stopping;
  };
  process.on('message', (raw: ServerParentMessage) => {
    if (raw?.type === 'stop') void stop();
    if (raw?.type === 'sign-in-url') {
      let url: string | null = null;
      let error: string | undefined;
      try {
        url = server.createSignInUrl();
      } catch (e) {
        error = (e as Error).message;
      }
      void send({ type: 'sign-in-url', requestId: raw.requestId, url, error });
    }
  });
  // The desktop app died without stopping us (SIGKILL, crash): nobody can reach this server's window any more.
  process.on('disconnect', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  await send({ type: 'ready', url: server.url, port: server.port, signInUrl: server.createSignInUrl() });
} catch (error) {
  const err = error as Error & { code?: unknown; hint?: unknown };
  await send({
    type: 'error',
    message: err.message,
    code: typeof err.code === 'string' ? err.code : undefined,
    hint: typeof err.hint === 'string' ? err.hint : undefined,
  });
  if (err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
