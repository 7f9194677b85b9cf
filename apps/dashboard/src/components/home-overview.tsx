'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { PhoneIcon, PlusIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { useTunnel } from '@/hooks/use-tunnel';
import { useWorkspaces } from '@/hooks/use-workspaces';
import { onDemand } from '@/lib/on-demand';
import { useTRPC } from '@/lib/trpc';

// Loads when the user asks to add a project (the sidebar loads the same module for its forms).
const AddProjectForm = onDemand(() => import('@/components/add-project-form').then((m) => m.AddProjectForm));

/**
 * The desktop home beside the sidebar. What it says depends on where the user is: no project yet (first run),
 * projects but no workspace, or workspaces to pick from.
 */
export function HomeOverview() {
  const tunnel = useTunnel();
  const trpc = useTRPC();
  const projects = useQuery(trpc.projects.list.queryOptions());
  const workspaces = useWorkspaces();
  const [isAdding, setAdding] = useState(false);
  const isRunning = tunnel.status.state !== 'stopped' && tunnel.status.state !== 'failed';
  const stage =
    projects.status !== 'success'
      ? 'loading'
      : projects.data.length === 0
        ? 'first-run'
        : (workspaces.data ?? []).length === 0
          ? 'no-workspace'
          : 'pick';
  return (
    <div className="flex flex-1 items-center justify-center p-8" data-testid="home-overview" data-stage={stage}>
      <div className="flex w-full max-w-md flex-col items-center gap-4 text-center">
        {stage === 'loading' ? <Spinner /> : null}
        {stage === 'first-run' ? (
          <>
            <h1 className="text-2xl font-semibold tracking-tight">Welcome to Band</h1>
            <p className="text-sm text-fg-muted">
              Add a git repository you want agents to work on. Each task then gets a workspace: its own branch and
              worktree, a chat with an agent, the diff to review and a terminal.
            </p>
            {isAdding ? (
              <div className="w-full text-left">
                <AddProjectForm onDone={() => setAdding(false)} />
              </div>
            ) : (
              <Button variant="primary" onClick={() => setAdding(true)} data-testid="home-add-project">
                <PlusIcon /> Add your first project
              </Button>
            )}
          </>
        ) : null}
        {stage === 'no-workspace' ? (
          <>
            <h1 className="text-2xl font-semibold tracking-tight">Create a workspace</h1>
            <p className="text-sm text-fg-muted">
              Use <span className="font-medium text-fg">New workspace</span> (the + beside a project on the left): name
              a branch and, if you like, give the agent its first prompt.
            </p>
          </>
        ) : null}
        {stage === 'pick' ? (
          <>
            <h1 className="text-2xl font-semibold tracking-tight">Pick a workspace</h1>
            <p className="text-sm text-fg-muted">
              Choose a workspace on the left to chat with its agent, review changes, browse files and open a terminal.
            </p>
          </>
        ) : null}
        {stage !== 'loading' ? (
          <Button
            variant={stage === 'first-run' ? 'secondary' : 'primary'}
            onClick={() => (isRunning || !tunnel.isExplained ? tunnel.openPanel() : void tunnel.start())}
            data-testid="home-mobile-access"
          >
            <PhoneIcon /> {isRunning ? 'Open Mobile Access' : 'Continue on your phone'}
          </Button>
        ) : null}
      </div>
    </div>
  );
}
