import type { Metadata, Viewport } from 'next';
import type { ReactNode } from 'react';
import { AppShell } from '@/components/app-shell';
import { readShellData } from '@/lib/page-data';
import './globals.css';

// The gate sets a per-request CSP nonce (auth.md §3.3); only a dynamically rendered page can carry it.
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: 'Band',
  description: 'Control plane for coding agents',
  applicationName: 'Band',
  appleWebApp: { capable: true, title: 'Band', statusBarStyle: 'black-translucent' },
  icons: { apple: '/icons/apple-touch-icon.png' },
};

export const viewport: Viewport = {
  width: 'device-width',
  initialScale: 1,
  viewportFit: 'cover',
  // Android Chrome: the on-screen keyboard resizes the page, so the message box stays above it
  // (iOS: useVisualViewport).
  interactiveWidget: 'resizes-content',
  themeColor: [
    { media: '(prefers-color-scheme: dark)', color: '#12151a' },
    { media: '(prefers-color-scheme: light)', color: '#f6f7f9' },
  ],
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const initial = await readShellData();
  return (
    <html lang="en">
      <head>
        {/* Every path is behind the gate: the manifest is fetched with the session cookie (use-credentials). */}
        <link rel="manifest" href="/manifest.webmanifest" crossOrigin="use-credentials" />
      </head>
      <body className="antialiased">
        <AppShell initial={initial}>{children}</AppShell>
      </body>
    </html>
  );
}
