#!/usr/bin/env node
// Part of `npm run build` of @band/server (turbo runs it after the dashboard's `next build`): copies the
// dashboard's self-contained Next output into dashboard/, which this package ships. Installing @band/server
// therefore never runs `next build` and never installs Next itself: dashboard/node_modules holds only the files
// of next, react and react-dom that the built app needs (Next's output file tracing).
import { cpSync, existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const app = join(pkg, '..', '..', 'apps', 'dashboard');
const standalone = join(app, '.next', 'standalone');
const out = join(pkg, 'dashboard');

if (!existsSync(join(standalone, 'apps', 'dashboard', '.next', 'BUILD_ID'))) {
  process.stderr.write(
    `copy-dashboard: no standalone build in ${standalone}; build @band/dashboard first (turbo does).\n`,
  );
  process.exit(1);
}
rmSync(out, { recursive: true, force: true });
cpSync(standalone, out, { recursive: true, verbatimSymlinks: false, dereference: true });
// `next build` leaves the browser assets out of the standalone folder: they are served by the same server here.
cpSync(join(app, '.next', 'static'), join(out, 'apps', 'dashboard', '.next', 'static'), { recursive: true });
if (existsSync(join(app, 'public')))
  cpSync(join(app, 'public'), join(out, 'apps', 'dashboard', 'public'), { recursive: true });
// Images are unoptimized, so Next never loads sharp; its 19 MB of libvips would also tie the package to the
// build machine's platform. semver and detect-libc are in the trace only for sharp.
for (const name of ['sharp', '@img', 'detect-libc', 'semver'])
  rmSync(join(out, 'node_modules', name), { recursive: true, force: true });
// Next's own standalone server.js is not used: @band/server is the server (the gate must run first).
rmSync(join(out, 'apps', 'dashboard', 'server.js'), { force: true });
writeFileSync(
  join(out, 'README.md'),
  'The prebuilt Band dashboard (Next.js standalone output), copied here by `npm run build`. Do not edit.\n',
);
