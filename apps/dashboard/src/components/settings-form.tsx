'use client';
import { useEffect, useState } from 'react';
import { ErrorNote, TunnelModeInfo } from '@/components/mobile-access-panel';
import { Button } from '@/components/ui/button';
import { Field, Input, Select, Switch } from '@/components/ui/field';
import { CheckIcon } from '@/components/ui/icons';
import { Spinner } from '@/components/ui/spinner';
import { useMutation, useQuery } from '@/hooks/use-query';
import { useTunnel } from '@/hooks/use-tunnel';
import type { BandSettings } from '@/lib/domain';

type AgentConfig = BandSettings['codingAgents'][number];

/** Settings page: default agent, agent commands and models, port, auto-start tunnel, sound (settings.get/set). */
export function SettingsForm() {
  const settings = useQuery('settings', (c) => c.settings.get.query());
  const tunnel = useTunnel();
  const [saved, setSaved] = useState<string | null>(null);
  const [current, setCurrent] = useState<BandSettings | null>(null);
  const save = useMutation((c, input: { key: string; value: unknown }) => c.settings.set.mutate(input));

  useEffect(() => {
    if (settings.data) setCurrent(settings.data);
  }, [settings.data]);

  const set = async (key: string, value: unknown) => {
    setSaved(null);
    const next = await save.mutate({ key, value });
    if (next) {
      setCurrent(next);
      setSaved(key);
    }
  };

  return (
    <div className="flex-1 overflow-y-auto" data-testid="settings-page">
      <div className="mx-auto flex max-w-2xl flex-col gap-6 px-4 py-6 md:px-8 md:py-10">
        <div className="flex items-end justify-between gap-4">
          <div>
            <h1 className="text-2xl font-semibold tracking-tight">Settings</h1>
            <p className="text-sm text-fg-muted">Stored in settings.json in your Band home. Changes save as you make them.</p>
          </div>
          <div className="h-6 text-sm" aria-live="polite">
            {save.pending ? <Spinner /> : saved ? (
              <span className="inline-flex items-center gap-1 text-ok" data-testid="settings-saved">
                <CheckIcon width={16} height={16} /> Saved
              </span>
            ) : null}
          </div>
        </div>
        {save.error ? <ErrorNote error={save.error} testId="settings-error" /> : null}
        {settings.status === 'loading' ? <SettingsSkeleton /> : null}
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
                  <option value="">None</option>
                  {current.codingAgents.map((agent) => (
                    <option key={agent.id} value={agent.id}>
                      {agent.label}
                    </option>
                  ))}
                </Select>
              </Field>
              {current.codingAgents.length === 0 ? (
                <p className="text-sm text-fg-subtle">No coding agents found on PATH. Install Claude Code, Codex or OpenCode and restart Band.</p>
              ) : null}
              {current.codingAgents.map((agent, index) => (
                <AgentEditor
                  key={agent.id}
                  agent={agent}
                  onSave={(next) => {
                    const agents = current.codingAgents.map((a, i) => (i === index ? next : a));
                    void set('codingAgents', agents);
                  }}
                />
              ))}
            </Section>
            <Section title="Server">
              <PortField port={current.webServerPort} onSave={(port) => void set('webServerPort', port)} />
              <ToggleRow
                label="Start the tunnel with the server"
                hint="Remote access is available as soon as Band starts."
                checked={current.autoStartTunnel}
                testId="setting-auto-start-tunnel"
                onChange={(v) => void set('autoStartTunnel', v)}
              />
              <TunnelModeInfo status={tunnel.status} />
            </Section>
            <Section title="Notifications">
              <ToggleRow
                label="Play a sound when an agent needs attention"
                checked={current.notifications.soundOnNeedsAttention}
                testId="setting-sound"
                onChange={(v) => void set('notifications.soundOnNeedsAttention', v)}
              />
            </Section>
          </>
        ) : null}
      </div>
    </div>
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

function ToggleRow({ label, hint, checked, onChange, testId }: { label: string; hint?: string; checked: boolean; onChange: (v: boolean) => void; testId: string }) {
  return (
    <div className="flex items-center justify-between gap-4">
      <div>
        <p className="text-sm font-medium">{label}</p>
        {hint ? <p className="text-xs text-fg-subtle">{hint}</p> : null}
      </div>
      <Switch checked={checked} onChange={onChange} label={label} data-testid={testId} />
    </div>
  );
}

function PortField({ port, onSave }: { port: number; onSave: (port: number) => void }) {
  const [value, setValue] = useState(String(port));
  useEffect(() => setValue(String(port)), [port]);
  const parsed = Number(value);
  const isValid = Number.isInteger(parsed) && parsed >= 1 && parsed <= 65_535;
  return (
    <Field label="Port" htmlFor="port" hint="The local dashboard and API port. Takes effect when Band restarts.">
      <div className="flex gap-2">
        <Input id="port" inputMode="numeric" value={value} onChange={(e) => setValue(e.target.value)} aria-invalid={!isValid} data-testid="setting-port" className="max-w-40" />
        <Button onClick={() => onSave(parsed)} disabled={!isValid || parsed === port} data-testid="setting-port-save">
          Save
        </Button>
      </div>
      {!isValid ? <p className="text-xs text-danger">A port is a whole number from 1 to 65535.</p> : null}
    </Field>
  );
}

function AgentEditor({ agent, onSave }: { agent: AgentConfig; onSave: (next: AgentConfig) => void }) {
  const [command, setCommand] = useState(agent.command ?? '');
  const [model, setModel] = useState(agent.model ?? '');
  const isChanged = command !== (agent.command ?? '') || model !== (agent.model ?? '');
  return (
    <div className="flex flex-col gap-3 rounded-md border border-border bg-bg p-3" data-testid="agent-editor" data-agent-id={agent.id}>
      <div className="flex items-center justify-between">
        <p className="text-sm font-semibold">{agent.label}</p>
        <span className="font-mono text-xs text-fg-subtle">{agent.type}</span>
      </div>
      <div className="grid gap-3 md:grid-cols-2">
        <Field label="Command" htmlFor={`cmd-${agent.id}`}>
          <Input id={`cmd-${agent.id}`} value={command} placeholder="on PATH" onChange={(e) => setCommand(e.target.value)} data-testid="agent-command" />
        </Field>
        <Field label="Model" htmlFor={`model-${agent.id}`}>
          <Input id={`model-${agent.id}`} value={model} placeholder="CLI default" onChange={(e) => setModel(e.target.value)} data-testid="agent-model" />
        </Field>
      </div>
      <Button
        size="sm"
        className="self-end"
        disabled={!isChanged}
        data-testid="agent-save"
        onClick={() => onSave({ ...agent, command: command.trim() || undefined, model: model.trim() || undefined })}
      >
        Save agent
      </Button>
    </div>
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
