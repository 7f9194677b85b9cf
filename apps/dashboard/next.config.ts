import type { NextConfig } from 'next';

const config: NextConfig = {
  // The custom server (server.ts) sets every security header itself, before Next runs.
  poweredByHeader: false,
  reactStrictMode: true,
  devIndicators: false,
};

export default config;
