'use client';
import { Button } from '@/components/ui/button';
import { PhoneIcon } from '@/components/ui/icons';
import { useTunnel } from '@/hooks/use-tunnel';

export function HomeOverview() {
  const tunnel = useTunnel();
  const isRunning = tunnel.status.state !== 'stopped' && tunnel.status.state !== 'failed';
  return (
    <div className="flex flex-1 items-center justify-center p-8" data-testid="home-overview">
      <div className="flex max-w-md flex-col items-center gap-4 text-center">
        <h1 className="text-2xl font-semibold tracking-tight">Pick a workspace</h1>
        <p className="text-sm text-fg-muted">
          Choose a workspace on the left to chat with its agent, review changes, browse files and open a terminal. Add a project with + to
          get started.
        </p>
        <Button variant="primary" onClick={() => (isRunning ? tunnel.openPanel() : void tunnel.start())} data-testid="home-mobile-access">
          <PhoneIcon /> {isRunning ? 'Open Mobile Access' : 'Continue on your phone'}
        </Button>
      </div>
    </div>
  );
}
