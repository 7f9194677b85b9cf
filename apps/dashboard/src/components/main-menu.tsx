'use client';
import { AppLink } from '@/components/ui/app-link';
import { IconButton } from '@/components/ui/button';
import { CloseIcon, FolderIcon, PhoneIcon, SettingsIcon } from '@/components/ui/icons';
import { Sheet } from '@/components/ui/sheet';
import { Spinner } from '@/components/ui/spinner';
import { useTunnel } from '@/hooks/use-tunnel';
import { cn } from '@/lib/cn';

const ITEM =
  'flex min-h-touch w-full cursor-pointer items-center gap-3 rounded-md px-3 text-left text-sm font-medium ' +
  'text-fg hover:bg-bg-hover';

/** The hamburger menu (top left): Start tunnel / Mobile Access, workspaces, settings. */
export function MainMenu({ open, onClose }: { open: boolean; onClose: () => void }) {
  const tunnel = useTunnel();
  const isRunning = tunnel.status.state !== 'stopped' && tunnel.status.state !== 'failed';
  return (
    <Sheet open={open} onClose={onClose} side="left" title="Menu" testId="main-menu">
      <div className="flex items-center justify-between border-b border-border px-4 py-3">
        <span className="text-base font-semibold">Band</span>
        <IconButton label="Close menu" onClick={onClose} data-testid="main-menu-close">
          <CloseIcon />
        </IconButton>
      </div>
      <nav className="flex flex-col gap-1 p-2">
        {isRunning ? (
          <button
            type="button"
            className={ITEM}
            data-testid="menu-mobile-access"
            onClick={() => {
              onClose();
              tunnel.openPanel();
            }}
          >
            <PhoneIcon className="text-accent" />
            <span className="flex-1">Mobile Access</span>
            {tunnel.status.state === 'starting' ? <Spinner /> : <TunnelPill state={tunnel.status.state} />}
          </button>
        ) : (
          <button
            type="button"
            className={ITEM}
            data-testid="menu-start-tunnel"
            onClick={() => {
              onClose();
              void tunnel.start();
            }}
          >
            <PhoneIcon className="text-accent" />
            <span className="flex-1">Start tunnel</span>
          </button>
        )}
        <AppLink href="/" className={ITEM} onClick={onClose} data-testid="menu-workspaces">
          <FolderIcon className="text-fg-muted" />
          Workspaces
        </AppLink>
        <AppLink href="/settings" className={ITEM} onClick={onClose} data-testid="menu-settings">
          <SettingsIcon className="text-fg-muted" />
          Settings
        </AppLink>
      </nav>
    </Sheet>
  );
}

function TunnelPill({ state }: { state: string }) {
  return (
    <span
      className={cn(
        'rounded-full px-2 py-0.5 text-xs',
        state === 'ready' ? 'bg-ok-soft text-ok' : 'bg-warn-soft text-warn',
      )}
    >
      {state}
    </span>
  );
}
