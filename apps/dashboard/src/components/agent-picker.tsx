'use client';
import { useQuery } from '@tanstack/react-query';
import { Input, Select } from '@/components/ui/field';
import { useTRPC } from '@/lib/trpc';

/** What a new chat runs with. Empty `model` means the agent's model from Settings (or the CLI's default). */
export interface AgentChoice {
  agent: string;
  model: string;
  mode: 'edit' | 'plan';
}

const CONTROL_LABEL = 'text-xs font-medium text-fg-muted';

/**
 * Agent, model and mode for a new workspace's chat. The defaults come from Settings: the default agent (else the
 * first), that agent's model, and edit mode. `value` null means "not touched": the defaults apply.
 */
export function AgentPicker({
  idPrefix,
  value,
  onChange,
}: {
  idPrefix: string;
  value: AgentChoice | null;
  onChange: (next: AgentChoice) => void;
}) {
  const trpc = useTRPC();
  const settings = useQuery(trpc.settings.get.queryOptions());
  const agents = settings.data?.codingAgents ?? [];
  if (agents.length === 0) return null;
  const defaults: AgentChoice = { agent: settings.data?.defaultCodingAgent ?? agents[0]!.id, model: '', mode: 'edit' };
  const current = value ?? defaults;
  const agent = agents.find((a) => a.id === current.agent) ?? agents[0]!;
  return (
    <fieldset className="grid grid-cols-2 gap-2" data-testid="agent-picker">
      <legend className="sr-only">Agent</legend>
      <div className="col-span-2 flex flex-col gap-1">
        <label htmlFor={`${idPrefix}-agent`} className={CONTROL_LABEL}>
          Agent
        </label>
        <Select
          id={`${idPrefix}-agent`}
          value={current.agent}
          onChange={(e) => onChange({ ...current, agent: e.target.value, model: '' })}
          data-testid="workspace-agent"
        >
          {agents.map((a) => (
            <option key={a.id} value={a.id}>
              {a.label}
            </option>
          ))}
        </Select>
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${idPrefix}-model`} className={CONTROL_LABEL}>
          Model
        </label>
        <Input
          verbatim
          id={`${idPrefix}-model`}
          value={current.model}
          onChange={(e) => onChange({ ...current, model: e.target.value })}
          placeholder={agent.model ?? 'CLI default'}
          data-testid="workspace-model"
        />
      </div>
      <div className="flex flex-col gap-1">
        <label htmlFor={`${idPrefix}-mode`} className={CONTROL_LABEL}>
          Mode
        </label>
        <Select
          id={`${idPrefix}-mode`}
          value={current.mode}
          onChange={(e) => onChange({ ...current, mode: e.target.value as AgentChoice['mode'] })}
          data-testid="workspace-mode"
        >
          <option value="edit">Edit files</option>
          <option value="plan">Plan only</option>
        </Select>
      </div>
    </fieldset>
  );
}
