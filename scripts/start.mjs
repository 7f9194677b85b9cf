#!/usr/bin/env node
// `npm start`: build what is missing (turbo caches the rest), then run the server in the foreground.
import { spawnSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };
const dev = process.argv.includes('--dev');
const passThrough = process.argv.slice(2);

process.stderr.write('Building Band (cached parts are skipped)…\n');
const build = spawnSync(
  'npx',
  [
    'turbo',
    'run',
    'build',
    '--filter=@band/server...',
    '--filter=@band/cli...',
    '--output-logs=errors-only',
    '--log-prefix=none',
  ],
  { cwd: root, env, stdio: ['ignore', 2, 'inherit'] },
);
if (build.status !== 0) {
  process.stderr.write('error: the build failed (see above). Run `npm run build` for the full log.\n');
  process.exit(build.status ?? 1);
}

const child = spawn(process.execPath, ['packages/server/dist/main.js', ...passThrough], {
  cwd: root,
  env: { ...env, NODE_ENV: dev ? 'development' : 'production' },
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
