'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { TunnelModeInfo } from '@/components/tunnel-mode-info';
import { ErrorNote } from '@/components/ui/error-note';
import { Button } from '@/components/ui/button';
import { Field, Input, Select, Switch } from '@/components/ui/field';
import { CheckIcon, PlusIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { useIsRemote } from '@/hooks/use-is-remote';
import { useTunnel } from '@/hooks/use-tunnel';
import { requestNotifications } from '@/lib/attention';
import type { BandSettings } from '@/lib/types';
import { onDemand } from '@/lib/on-demand';
import { signOut } from '@/lib/sign-out';
import { useTRPC } from '@/lib/trpc';

type AgentConfig = BandSettings['codingAgents'][number];

/**
 * What a session through the tunnel may change (the server's `remoteSettableKeys` in @band/settings; it answers
 * LOCAL_ONLY_SETTING for anything else). The rest is shown read-only there.
 */
const REMOTE_SETTABLE = new Set(['defaultCodingAgent', 'notifications', 'labels']);

/** Settings page: default agent, agent commands and models, port, auto-start tunnel, sound (settings.get/set). */
export function SettingsForm() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const settings = useQuery(trpc.settings.get.queryOptions());
  const tunnel = useTunnel();
  const [saved, setSaved] = useState<string | null>(null);
  const [current, setCurrent] = useState<BandSettings | null>(null);
  // A saved setting comes back whole: it becomes the cached settings (the agent picker reads the same).
  const save = useMutation(
    trpc.settings.set.mutationOptions({
      onSuccess: (next) => queryClient.setQueryData(trpc.settings.get.queryKey(), next),
    }),
  );
  // Which setting the last save was for: an agent's error is shown beside the agent, not only at the top.
  const [lastKey, setLastKey] = useState<string | null>(null);
  // Through the tunnel (a phone), settings that choose programs, ports or the tunnel are read-only.
  const isRemote = useIsRemote();
  const isLocked = (key: string) => isRemote && !REMOTE_SETTABLE.has(key.split('.')[0] ?? '');

  // Each new answer from the server replaces what the form shows (adjusted while rendering, not in an effect).
  const [shownData, setShownData] = useState<BandSettings | undefined>(undefined);
  if (settings.data && settings.data !== shownData) {
    setShownData(settings.data);
    setCurrent(settings.data);
  }

  const set = async (key: string, value: unknown): Promise<boolean> => {
    setSaved(null);
    setLastKey(key);
    const next = await save.mutateAsync({ key, value }).catch(() => undefined);
    if (next) {
      setCurrent(next);
      setSaved(key);
    }
    return next !== undefined;
  };
  const agentError = lastKey === 'codingAgents' && save.error ? save.error : null;
  const [editedAgent, setEditedAgent] = useState<string | null>(null);

  return (
    <div className="flex-1 overflow-y-auto" data-testid="settings-page">
      <div className="mx-auto flex max-w-2xl flex-col gap-6 px-4 py-6 md:px-8 md:py-10">
        <div className="flex items-end justify-between gap-4">
          <div>
            <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
            <p className="text-sm text-fg-muted">Stored in settings.json in your Band home.</p>
          </div>
          <div className="h-6 text-sm" aria-live="polite">
            {save.isPending ? (
              <Spinner />
            ) : saved ? (
              <span className="inline-flex items-center gap-1 text-ok" data-testid="settings-saved">
                <CheckIcon width={16} height={16} /> Saved
              </span>
            ) : null}
          </div>
        </div>
        {save.error && !agentError ? <ErrorNote error={save.error} testId="settings-error" /> : null}
        {isRemote ? (
          <p
            className="rounded-md border border-border bg-bg-elevated px-3 py-2 text-sm text-fg-muted"
            data-testid="settings-remote-note"
          >
            You are connected through the tunnel: agent commands, the port and the tunnel can only be changed on the
            computer running Band. The default agent and notifications can be changed here.
          </p>
        ) : null}
        {settings.status === 'pending' ? <SettingsSkeleton /> : null}
        {settings.status === 'error' && !current ? <ErrorNote error={settings.error} /> : null}
        {current ? (
          <>
            <Section title="Coding agent" description="The agent new chats use, and how each agent is started.">
              <Field label="Default agent" htmlFor="default-agent">
                <Select
                  id="default-agent"
                  data-testid="setting-default-agent"
                  value={current.defaultCodingAgent ?? ''}
                  onChange={(e) => void set('defaultCodingAgent', e.target.value || null)}
                >
                  <option value="">
                    {current.codingAgents[0]
                      ? `The first agent below (${current.codingAgents[0].label})`
                      : 'None configured'}
                  </option>
                  {current.codingAgents.map((agent) => (
                    <option key={agent.id} value={agent.id}>
                      {agent.label}
                    </option>
                  ))}
                </Select>
              </Field>
              {current.codingAgents.length === 0 ? (
                <p className="text-sm text-fg-subtle">
                  No coding agents found on PATH. Install Claude Code, Codex or OpenCode and restart Band.
                </p>
              ) : null}
              {current.codingAgents.map((agent, index) => (
                <AgentEditor
                  key={agent.id}
                  agent={agent}
                  isLocked={isLocked('codingAgents')}
                  onSave={(next) => {
                    setEditedAgent(agent.id);
                    const agents = current.codingAgents.map((a, i) => (i === index ? next : a));
                    void set('codingAgents', agents);
                  }}
                  error={editedAgent === agent.id ? agentError : null}
                />
              ))}
              {isLocked('codingAgents') ? null : (
                <AddAgent
                  agents={current.codingAgents}
                  error={editedAgent === NEW_AGENT ? agentError : null}
                  isPending={save.isPending}
                  onAdd={(agent) => {
                    setEditedAgent(NEW_AGENT);
                    return set('codingAgents', [...current.codingAgents, agent]);
                  }}
                />
              )}
            </Section>
            <Section title="Server">
              <PortField
                port={current.webServerPort}
                isLocked={isLocked('webServerPort')}
                onSave={(port) => void set('webServerPort', port)}
              />
              <ToggleRow
                label="Start the tunnel with the server"
                hint="Remote access is available as soon as Band starts."
                checked={current.autoStartTunnel}
                isLocked={isLocked('autoStartTunnel')}
                testId="setting-auto-start-tunnel"
                onChange={(v) => void set('autoStartTunnel', v)}
              />
              <TunnelModeInfo status={tunnel.status} />
            </Section>
            <Section title="Notifications">
              <ToggleRow
                label="Play a sound when an agent is done or needs you"
                checked={current.notifications.soundOnNeedsAttention}
                testId="setting-sound"
                onChange={(v) => void set('notifications.soundOnNeedsAttention', v)}
              />
              <DeviceNotifications />
            </Section>
          </>
        ) : null}
        <Section title="Session">
          <SignOut />
        </Section>
      </div>
    </div>
  );
}

/** Ends this browser's session; the next page is the sign-in page. */
function SignOut() {
  const [state, setState] = useState<'idle' | 'pending' | 'failed'>('idle');
  return (
    <div className="flex items-center justify-between gap-4">
      <p className="text-sm text-fg-muted">
        Sign this browser out. You sign in again with a one-time link (band open) or the token.
      </p>
      <Button
        variant="secondary"
        disabled={state === 'pending'}
        data-testid="sign-out"
        onClick={async () => {
          setState('pending');
          if (!(await signOut())) setState('failed');
        }}
      >
        {state === 'pending' ? <Spinner /> : null} Sign out
      </Button>
      {state === 'failed' ? <p className="text-xs text-danger">Could not sign out; try again.</p> : null}
    </div>
  );
}

/** This device's permission for "done" and "needs you" notifications (asked on a tap, never on load). */
function DeviceNotifications() {
  const [permission, setPermission] = useState<NotificationPermission | 'unsupported' | null>(null);
  useEffect(() => setPermission(typeof Notification === 'undefined' ? 'unsupported' : Notification.permission), []);
  const text =
    permission === 'granted'
      ? 'On: this device is notified while Band is in the background.'
      : permission === 'denied'
        ? "Blocked in this browser's site settings."
        : permission === 'unsupported'
          ? 'This browser cannot show notifications (on iPhone, add Band to the Home Screen first).'
          : 'Get a notification on this device when an agent is done or needs you while Band is in the ' +
            'background.';
  return (
    <div className="flex items-center justify-between gap-4">
      <div>
        <p className="text-sm font-medium">Notifications on this device</p>
        <p
          className="text-xs text-fg-subtle"
          data-testid="notification-permission"
          data-state={permission ?? 'unknown'}
        >
          {text}
        </p>
      </div>
      {permission === 'default' ? (
        <Button
          variant="secondary"
          data-testid="allow-notifications"
          onClick={async () => setPermission(await requestNotifications())}
        >
          Allow
        </Button>
      ) : null}
    </div>
  );
}

/** Shown under a control a tunnel session cannot change. */
function LocalOnlyNote() {
  return (
    <p className="text-xs text-fg-subtle" data-testid="settings-local-only">
      Change this on the computer running Band.
    </p>
  );
}

function Section({ title, description, children }: { title: string; description?: string; children: React.ReactNode }) {
  return (
    <section className="flex flex-col gap-4 rounded-lg border border-border bg-bg-elevated p-4 md:p-5">
      <div>
        <h2 className="text-base font-semibold">{title}</h2>
        {description ? <p className="text-sm text-fg-muted">{description}</p> : null}
      </div>
      {children}
    </section>
  );
}

function ToggleRow({
  label,
  hint,
  checked,
  onChange,
  testId,
  isLocked = false,
}: {
  label: string;
  hint?: string;
  checked: boolean;
  onChange: (v: boolean) => void;
  testId: string;
  isLocked?: boolean;
}) {
  return (
    <div className="flex items-center justify-between gap-4">
      <div>
        <p className="text-sm font-medium">{label}</p>
        {hint ? <p className="text-xs text-fg-subtle">{hint}</p> : null}
        {isLocked ? <LocalOnlyNote /> : null}
      </div>
      <Switch checked={checked} onChange={onChange} label={label} disabled={isLocked} data-testid={testId} />
    </div>
  );
}

function PortField({ port, onSave, isLocked }: { port: number; onSave: (port: number) => void; isLocked: boolean }) {
  const [value, setValue] = useState(String(port));
  // A newly saved port (here, or read again after the CLI changed it) replaces the draft, in the same render.
  const [shown, setShown] = useState(port);
  if (port !== shown) {
    setShown(port);
    setValue(String(port));
  }
  const parsed = Number(value);
  const isValid = Number.isInteger(parsed) && parsed >= 1 && parsed <= 65_535;
  return (
    <Field label="Port" htmlFor="port" hint="The local dashboard and API port. Takes effect when Band restarts.">
      <div className="flex gap-2">
        <Input
          id="port"
          inputMode="numeric"
          value={value}
          readOnly={isLocked}
          onChange={(e) => setValue(e.target.value)}
          aria-invalid={!isValid}
          data-testid="setting-port"
          className="max-w-40"
        />
        <Button
          onClick={() => onSave(parsed)}
          disabled={isLocked || !isValid || parsed === port}
          data-testid="setting-port-save"
        >
          Save
        </Button>
      </div>
      {!isValid ? <p className="text-xs text-danger">A port is a whole number from 1 to 65535.</p> : null}
      {isLocked ? <LocalOnlyNote /> : null}
    </Field>
  );
}

function AgentEditor({
  agent,
  onSave,
  isLocked,
  error,
}: {
  agent: AgentConfig;
  onSave: (next: AgentConfig) => void;
  isLocked: boolean;
  error: ErrorShape | null;
}) {
  const [command, setCommand] = useState(agent.command ?? '');
  const [model, setModel] = useState(agent.model ?? '');
  const isChanged = command !== (agent.command ?? '') || model !== (agent.model ?? '');
  return (
    <div
      className="flex flex-col gap-3 rounded-md border border-border bg-bg p-3"
      data-testid="agent-editor"
      data-agent-id={agent.id}
    >
      <div className="flex items-center justify-between">
        <p className="text-sm font-semibold">{agent.label}</p>
        <span className="font-mono text-xs text-fg-subtle">{agent.type}</span>
      </div>
      <div className="grid gap-3 md:grid-cols-2">
        <Field label="Command" htmlFor={`cmd-${agent.id}`}>
          <Input
            verbatim
            id={`cmd-${agent.id}`}
            value={command}
            readOnly={isLocked}
            placeholder="on PATH"
            onChange={(e) => setCommand(e.target.value)}
            data-testid="agent-command"
          />
        </Field>
        <Field label="Model" htmlFor={`model-${agent.id}`}>
          <Input
            verbatim
            id={`model-${agent.id}`}
            value={model}
            readOnly={isLocked}
            placeholder="CLI default"
            onChange={(e) => setModel(e.target.value)}
            data-testid="agent-model"
          />
        </Field>
      </div>
      {isLocked ? <LocalOnlyNote /> : null}
      {error ? <ErrorNote error={error} testId="agent-error" /> : null}
      <Button
        size="sm"
        className="self-end"
        disabled={isLocked || !isChanged}
        data-testid="agent-save"
        onClick={() => onSave({ ...agent, command: command.trim() || undefined, model: model.trim() || undefined })}
      >
        Save agent
      </Button>
    </div>
  );
}

type ErrorShape = { message: string; hint?: string } | Error;

const NEW_AGENT = '\u0000new';

// The form is not on the first screen: it loads the first time "Add agent" is pressed (first-load JS stays small).
const AddAgentForm = onDemand(() => import('@/components/add-agent-form').then((m) => m.AddAgentForm));

/** "Add agent": a button that opens the form (type, label and command). */
function AddAgent({
  agents,
  onAdd,
  error,
  isPending,
}: {
  agents: AgentConfig[];
  onAdd: (agent: AgentConfig) => Promise<boolean>;
  error: ErrorShape | null;
  isPending: boolean;
}) {
  const [isOpen, setOpen] = useState(false);
  if (!isOpen) {
    return (
      <Button variant="secondary" className="self-start" onClick={() => setOpen(true)} data-testid="agent-add">
        <PlusIcon /> Add agent
      </Button>
    );
  }
  return (
    <AddAgentForm
      agents={agents}
      error={error}
      isPending={isPending}
      onAdd={async (agent) => {
        const isAdded = await onAdd(agent);
        if (isAdded) setOpen(false);
        return isAdded;
      }}
      onCancel={() => setOpen(false)}
    />
  );
}

function SettingsSkeleton() {
  return (
    <div className="flex flex-col gap-4" aria-hidden="true">
      {[0, 1, 2].map((i) => (
        <div key={i} className="h-32 animate-pulse rounded-lg bg-bg-elevated" />
      ))}
    </div>
  );
}
