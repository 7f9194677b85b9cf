import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

const config: NextConfig = {
  // The custom server (@band/server) sets every security header itself, before Next runs.
  poweredByHeader: false,
  reactStrictMode: true,
  devIndicators: false,
  // A self-contained build (.next/standalone: the app plus only the node_modules files it needs), which
  // @band/server copies and ships, so installing Band never runs `next build` nor installs all of Next.
  output: 'standalone',
  outputFileTracingRoot: fileURLToPath(new URL('../..', import.meta.url)),
  // Nothing is fetched at build or run time; images are inline SVG.
  images: { unoptimized: true },
  typescript: {
    // `next build` checks the app only; tests import the built server and are checked by `npm run typecheck`.
    tsconfigPath: 'tsconfig.next.json',
    // `npm run typecheck` covers the same files; this escape hatch exists only for building while a
    // dependency's .d.ts is being rebuilt by another workspace.
    ignoreBuildErrors: process.env.BAND_DASHBOARD_SKIP_TYPECHECK === '1',
  },
};

export default config;
