// `npm start` / `npm run dev` (scripts/start.mjs): runs the Band server in the foreground until SIGINT/SIGTERM.
import { ServerStartError, startServer } from './start-server.js';

const dev = process.argv.includes('--dev');
const portFlag = process.argv.indexOf('--port');
const port =
  portFlag > 0 ? Number(process.argv[portFlag + 1]) : process.env.BAND_PORT ? Number(process.env.BAND_PORT) : undefined;

try {
  const server = await startServer({ dev, port });
  process.stdout.write(
    [
      '',
      `  Band is running at ${server.url}`,
      `  Open the dashboard (signed in): ${server.createSignInUrl()}`,
      '  (that link works once and for 2 minutes; run `npx band open` for a new one, ' +
        'or sign in with the token from settings.json)',
      `  Home: ${server.home}`,
      '',
    ].join('\n') + '\n',
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n  ${signal}: stopping Band…\n`);
    // A second signal while stopping forces the exit.
    process.once(signal, () => process.exit(130));
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (error) {
  const err = error as Error & { hint?: string };
  process.stderr.write(`error: ${err.message}\n`);
  if (err.hint) process.stderr.write(`hint: ${err.hint}\n`);
  if (!(error instanceof ServerStartError) && !err.hint && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(1);
}
