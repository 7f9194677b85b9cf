'use client';
import { AppLink } from '@/components/ui/app-link';
import { usePathname } from 'next/navigation';
import { type ReactNode, useState } from 'react';
import { ConnectionIndicator } from '@/components/connection-indicator';
import { QueryProvider } from '@/components/query-provider';
import { ServiceWorker } from '@/components/service-worker';
import { Sidebar } from '@/components/sidebar';
import { IconButton } from '@/components/ui/button';
import { MenuIcon, PhoneIcon } from '@/components/ui/icons';
import { AgentStatusProvider } from '@/hooks/use-agent-statuses';
import { TunnelProvider, useTunnel } from '@/hooks/use-tunnel';
import { useVisualViewport } from '@/hooks/use-visual-viewport';
import { cn } from '@/lib/cn';
import { onDemand } from '@/lib/on-demand';
import type { ShellData } from '@/lib/types';

/**
 * The frame of every page. Desktop: top bar, sidebar, main. Phone: the home page is the workspace list,
 * every other page takes the whole screen (one pane at a time).
 */
export function AppShell({ children, initial }: { children: ReactNode; initial?: ShellData }) {
  return (
    <QueryProvider initial={initial}>
      <TunnelProvider>
        <AgentStatusProvider initial={initial?.statuses}>
          <ShellFrame>{children}</ShellFrame>
        </AgentStatusProvider>
      </TunnelProvider>
    </QueryProvider>
  );
}

// The menu and the Mobile Access panel are not on the first screen: each loads the first time it opens
// (keeps first-load JS small on a phone).
const MainMenu = onDemand(() => import('@/components/main-menu').then((m) => m.MainMenu));
const MobileAccessPanel = onDemand(() => import('@/components/mobile-access-panel').then((m) => m.MobileAccessPanel));

function ShellFrame({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  const isHome = pathname === '/';
  const [isMenuOpen, setMenuOpen] = useState(false);
  useVisualViewport();
  return (
    <div
      data-testid="dashboard-shell"
      className={cn(
        'relative top-[var(--band-viewport-top,0px)] flex h-[var(--band-viewport-height,100dvh)] flex-col',
        'overflow-hidden bg-bg text-fg',
      )}
    >
      <header className="flex h-14 shrink-0 items-center gap-2 border-b border-border bg-bg-elevated px-2 md:px-3">
        <IconButton
          label="Open menu"
          aria-expanded={isMenuOpen}
          onClick={() => setMenuOpen(true)}
          data-testid="menu-button"
        >
          <MenuIcon />
        </IconButton>
        <AppLink
          href="/"
          className="flex min-h-touch items-center gap-2 px-1 text-base font-semibold tracking-tight"
          data-testid="brand"
        >
          <BandMark />
          Band
        </AppLink>
        <div className="flex-1" />
        <TunnelChip />
        <ConnectionIndicator />
      </header>
      {/* One main landmark on every screen: on a phone's home it holds the workspace list, elsewhere the page. */}
      <main className="flex min-h-0 flex-1">
        <Sidebar
          isHome={isHome}
          className={cn('md:flex md:w-72 md:shrink-0 md:border-r md:border-border', isHome ? 'flex w-full' : 'hidden')}
        />
        <div className={cn('min-w-0 flex-1 flex-col', isHome ? 'hidden md:flex' : 'flex')}>{children}</div>
      </main>
      {isMenuOpen ? <MainMenu open onClose={() => setMenuOpen(false)} /> : null}
      <LazyMobileAccessPanel />
      <ServiceWorker />
    </div>
  );
}

/** The panel's code loads when it first opens, whoever opens it (the chip, the menu, a tunnel becoming ready). */
function LazyMobileAccessPanel() {
  const { isPanelOpen } = useTunnel();
  return isPanelOpen ? <MobileAccessPanel /> : null;
}

/** Shown while a tunnel runs: one tap back to the Mobile Access panel. */
function TunnelChip() {
  const tunnel = useTunnel();
  const { state } = tunnel.status;
  if (state === 'stopped') return null;
  return (
    <button
      type="button"
      onClick={tunnel.openPanel}
      data-testid="tunnel-chip"
      data-state={state}
      className={cn(
        'inline-flex min-h-touch min-w-touch cursor-pointer items-center justify-center gap-1.5 rounded-full px-2 ' +
          'text-xs font-medium md:min-h-8',
        state === 'ready' ? 'text-ok' : state === 'failed' ? 'text-danger' : 'text-warn',
      )}
    >
      <PhoneIcon width={16} height={16} />
      <span className="sr-only sm:not-sr-only">{state === 'ready' ? 'Tunnel up' : `Tunnel ${state}`}</span>
    </button>
  );
}

function BandMark() {
  return (
    <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
      <rect x="2" y="2" width="20" height="20" rx="6" fill="var(--accent)" />
      <path d="M7 8h10M7 12h10M7 16h6" stroke="var(--accent-fg)" strokeWidth="2.2" strokeLinecap="round" />
    </svg>
  );
}
