'use client';
// A new workspace: a branch in its own worktree, with the agent to start. Loaded the first time it opens.
import { cn } from '@/lib/cn';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { type FormEvent, useState } from 'react';
import { type AgentChoice, AgentPicker } from '@/components/agent-picker';
import { ErrorNote } from '@/components/ui/error-note';
import { FormActions } from '@/components/ui/form-actions';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/field';
import { Spinner } from '@/components/ui/spinner';
import { useTRPC, useTRPCClient } from '@/lib/trpc';
import type { Project, Workspace } from '@/lib/types';

export function AddWorkspaceForm({ project, onDone }: { project: Project; onDone: () => void }) {
  const router = useRouter();
  const [branch, setBranch] = useState('');
  const [base, setBase] = useState('');
  const [prompt, setPrompt] = useState('');
  const [choice, setChoice] = useState<AgentChoice | null>(null);
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (input: {
      project: string;
      branch: string;
      base?: string;
      prompt?: string;
      pick?: { agent?: string; model?: string; mode?: string };
    }) => {
      const { pick, ...rest } = input;
      // With a prompt the pick travels with it (the first chat); without one, the workspace's first chat is
      // created now (a new chat is the workspace's active one).
      const result = await client.workspaces.create.mutate({ ...rest, ...(rest.prompt ? pick : {}) });
      if (result.created && !rest.prompt && pick)
        await client.chats.create.mutate({ workspaceId: result.workspace.id, mode: 'edit', ...pick });
      return result;
    },
  });
  const send = useMutation(trpc.chats.send.mutationOptions());
  // Creation is idempotent: a branch that already has a workspace opens it, and the server ignores the prompt.
  // The user is told so, and decides whether the prompt goes there.
  const [existing, setExisting] = useState<{ workspace: Workspace; prompt: string } | null>(null);
  const open = (workspaceId: string) => {
    void queryClient.invalidateQueries(trpc.workspaces.list.queryFilter());
    onDone();
    router.push(`/w/${workspaceId}`);
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!branch.trim()) return;
    const firstPrompt = prompt.trim();
    const pick = choice
      ? { agent: choice.agent, model: choice.model.trim() || undefined, mode: choice.mode }
      : undefined;
    const input = {
      project: project.id,
      branch: branch.trim(),
      base: base.trim() || undefined,
      prompt: firstPrompt || undefined,
      pick,
    };
    create.mutate(input, {
      onSuccess: (result) => {
        if (!result.created && firstPrompt) setExisting({ workspace: result.workspace, prompt: firstPrompt });
        else open(result.workspace.id);
      },
    });
  };
  const sendThere = () => {
    if (!existing) return;
    send.mutate(
      { workspaceId: existing.workspace.id, message: existing.prompt },
      { onSuccess: () => open(existing.workspace.id) },
    );
  };
  if (existing) {
    return (
      <div
        role="alert"
        className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-warn/40 bg-bg p-3 text-sm"
        data-testid="workspace-exists"
        data-workspace-id={existing.workspace.id}
      >
        <p className="font-medium">
          Branch <span className="break-all font-mono">{existing.workspace.branch}</span> already has a workspace.
        </p>
        <p className="text-fg-muted">
          Nothing new was created and your prompt was not sent. Send it to that workspace's chat?
        </p>
        <p className="line-clamp-3 whitespace-pre-wrap break-words rounded-md bg-bg-sunken px-2 py-1 text-fg-muted">
          {existing.prompt}
        </p>
        {send.error ? <ErrorNote error={send.error} /> : null}
        <div className="flex flex-col gap-2">
          <Button
            size="sm"
            variant="primary"
            className="justify-center"
            disabled={send.isPending}
            onClick={() => void sendThere()}
            data-testid="workspace-exists-send"
          >
            {send.isPending ? <Spinner /> : null} Send the prompt there
          </Button>
          <Button
            size="sm"
            variant="secondary"
            className="justify-center"
            onClick={() => open(existing.workspace.id)}
            data-testid="workspace-exists-open"
          >
            Open without sending
          </Button>
          <Button
            size="sm"
            variant="ghost"
            className="justify-center"
            onClick={() => setExisting(null)}
            data-testid="workspace-exists-back"
          >
            Back to the form
          </Button>
        </div>
      </div>
    );
  }
  return (
    <form
      onSubmit={submit}
      className="mx-2 mb-2 flex flex-col gap-2 rounded-md border border-border bg-bg p-3"
      data-testid="add-workspace-form"
    >
      <p className="text-xs text-fg-muted">
        A workspace is a branch in its own worktree, where an agent works without touching your checkout.
      </p>
      <label htmlFor={`ws-branch-${project.id}`} className="text-xs font-medium text-fg-muted">
        Branch
      </label>
      <Input
        verbatim
        id={`ws-branch-${project.id}`}
        value={branch}
        onChange={(e) => setBranch(e.target.value)}
        placeholder="fix/login"
        autoFocus
        data-testid="workspace-branch"
      />
      <label htmlFor={`ws-base-${project.id}`} className="text-xs font-medium text-fg-muted">
        Base branch <span className="font-normal text-fg-subtle">(default {project.defaultBranch})</span>
      </label>
      <Input
        verbatim
        id={`ws-base-${project.id}`}
        value={base}
        onChange={(e) => setBase(e.target.value)}
        placeholder={project.defaultBranch}
        data-testid="workspace-base"
      />
      <label htmlFor={`ws-prompt-${project.id}`} className="text-xs font-medium text-fg-muted">
        First prompt <span className="font-normal text-fg-subtle">(optional)</span>
      </label>
      <textarea
        id={`ws-prompt-${project.id}`}
        value={prompt}
        onChange={(e) => setPrompt(e.target.value)}
        placeholder="What should the agent do?"
        rows={2}
        data-testid="workspace-prompt"
        className={cn(
          'w-full rounded-md border border-border bg-bg-sunken px-3 py-2 text-base text-fg',
          'placeholder:text-fg-subtle focus:border-accent focus:outline-none md:text-sm',
        )}
      />
      <AgentPicker idPrefix={`ws-${project.id}`} value={choice} onChange={setChoice} />
      {create.error ? <ErrorNote error={create.error} /> : null}
      <FormActions onCancel={onDone} pending={create.isPending} label="Create" testId="workspace-submit" />
    </form>
  );
}
