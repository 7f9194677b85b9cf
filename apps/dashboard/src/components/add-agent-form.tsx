'use client';
import { type FormEvent, useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Field, Input, Select } from '@/components/ui/field';
import { FormActions } from '@/components/ui/form-actions';
import type { BandSettings } from '@/lib/types';

type AgentConfig = BandSettings['codingAgents'][number];

/** The agent CLIs Band drives, with the label and command a new entry starts from (agentPackages in @band/agents). */
const AGENT_TYPES = [
  { type: 'claude-code', label: 'Claude Code', bin: 'claude' },
  { type: 'codex', label: 'Codex', bin: 'codex' },
  { type: 'opencode', label: 'OpenCode', bin: 'opencode' },
] as const;

/** A free id for a new agent: its type, else type-2, type-3... */
function newAgentId(type: string, agents: AgentConfig[]): string {
  const taken = new Set(agents.map((a) => a.id));
  if (!taken.has(type)) return type;
  let n = 2;
  while (taken.has(`${type}-${n}`)) n += 1;
  return `${type}-${n}`;
}

/**
 * The "Add agent" form: type, label and command; the server checks that the command runs before it is saved. The
 * settings page closes it once the agent is added (onAdd resolves true).
 */
export function AddAgentForm({
  agents,
  onAdd,
  onCancel,
  error,
  isPending,
}: {
  agents: AgentConfig[];
  onAdd: (agent: AgentConfig) => Promise<boolean>;
  onCancel: () => void;
  error: { message: string; hint?: string } | Error | null;
  isPending: boolean;
}) {
  const [type, setType] = useState<(typeof AGENT_TYPES)[number]['type']>('claude-code');
  const [label, setLabel] = useState('');
  const [command, setCommand] = useState('');
  const preset = AGENT_TYPES.find((t) => t.type === type)!;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const agent: AgentConfig = {
      id: newAgentId(type, agents),
      type,
      label: label.trim() || preset.label,
      ...(command.trim() ? { command: command.trim() } : {}),
    };
    await onAdd(agent);
  };
  return (
    <form
      onSubmit={submit}
      className="flex flex-col gap-3 rounded-md border border-accent/40 bg-bg p-3"
      data-testid="agent-add-form"
    >
      <p className="text-sm font-semibold">Add agent</p>
      <div className="grid gap-3 md:grid-cols-3">
        <Field label="Type" htmlFor="new-agent-type">
          <Select
            id="new-agent-type"
            value={type}
            onChange={(e) => setType(e.target.value as typeof type)}
            data-testid="agent-add-type"
          >
            {AGENT_TYPES.map((t) => (
              <option key={t.type} value={t.type}>
                {t.label}
              </option>
            ))}
          </Select>
        </Field>
        <Field label="Label" htmlFor="new-agent-label">
          <Input
            id="new-agent-label"
            value={label}
            placeholder={preset.label}
            onChange={(e) => setLabel(e.target.value)}
            data-testid="agent-add-label"
          />
        </Field>
        <Field label="Command" htmlFor="new-agent-command">
          <Input
            verbatim
            id="new-agent-command"
            value={command}
            placeholder={preset.bin}
            onChange={(e) => setCommand(e.target.value)}
            data-testid="agent-add-command"
          />
        </Field>
      </div>
      <p className="text-xs text-fg-subtle">
        A command name on PATH, or the executable's absolute path. Empty: {preset.bin}.
      </p>
      {error ? <ErrorNote error={error} testId="agent-add-error" /> : null}
      <FormActions onCancel={onCancel} pending={isPending} label="Add agent" testId="agent-add-submit" />
    </form>
  );
}
