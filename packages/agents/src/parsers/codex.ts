import type { AgentEvent, LineParser } from '../types.js';
import { isRecord, stringifyOutput } from './util.js';

/** Tool-like Codex item types and the tool name Band shows for them. */
const TOOL_ITEMS: Record<string, string> = {
  command_execution: 'Bash',
  file_change: 'FileChange',
  mcp_tool_call: 'McpTool',
  web_search: 'WebSearch',
  todo_list: 'TodoList',
  collab_tool_call: 'Agent',
};

function toolInput(item: Record<string, any>): unknown {
  switch (item.type) {
    case 'command_execution':
      return { command: item.command };
    case 'file_change':
      return { changes: item.changes ?? [] };
    case 'mcp_tool_call':
      return { server: item.server, tool: item.tool, arguments: item.arguments };
    case 'web_search':
      return { query: item.query };
    case 'todo_list':
      return { items: item.items ?? [] };
    default:
      return { tool: item.tool, prompt: item.prompt };
  }
}

function toolOutput(item: Record<string, any>): { output: string; isError: boolean } {
  const failed = item.status === 'failed' || item.status === 'declined';
  switch (item.type) {
    case 'command_execution':
      return {
        output: typeof item.aggregated_output === 'string' ? item.aggregated_output : '',
        isError: failed || (typeof item.exit_code === 'number' && item.exit_code !== 0),
      };
    case 'file_change':
      return {
        output: Array.isArray(item.changes)
          ? item.changes.map((c: any) => `${c?.kind ?? '?'} ${c?.path ?? '?'}`).join('\n')
          : '',
        isError: failed,
      };
    case 'mcp_tool_call':
      if (isRecord(item.error)) return { output: String(item.error.message ?? 'error'), isError: true };
      return { output: stringifyOutput(isRecord(item.result) ? item.result.content : item.result), isError: failed };
    default:
      return { output: stringifyOutput(item.items ?? item.action ?? ''), isError: failed };
  }
}

/**
 * Events of one Codex item in the `codex exec --json` shape (snake_case types and fields): a tool item's
 * `tool-use` the first time it is seen (ids kept in `startedTools`), its `tool-result` once completed, an agent
 * message's text once completed. Shared by the exec parser and the app-server client.
 */
export function codexItemEvents(item: unknown, completed: boolean, startedTools: Set<string>): AgentEvent[] {
  if (!isRecord(item) || typeof item.id !== 'string') return [];
  const events: AgentEvent[] = [];
  const toolName = TOOL_ITEMS[item.type];
  if (toolName) {
    if (!startedTools.has(item.id)) {
      startedTools.add(item.id);
      const name = item.type === 'mcp_tool_call' ? `mcp__${item.server}__${item.tool}` : toolName;
      events.push({ type: 'tool-use', id: item.id, name, input: toolInput(item) });
    }
    if (completed) events.push({ type: 'tool-result', id: item.id, ...toolOutput(item) });
    return events;
  }
  if (!completed) return [];
  if (item.type === 'agent_message' && typeof item.text === 'string') {
    return [{ type: 'text-delta', text: item.text, messageId: item.id }];
  }
  if (item.type === 'error' && typeof item.message === 'string') {
    return [{ type: 'error', message: item.message }];
  }
  return [];
}

/** Parser for `codex exec --json` (thread/turn/item events). Codex reports no token deltas: text arrives per item. */
export function createCodexParser(): LineParser {
  const startedTools = new Set<string>();
  let threadId: string | undefined;
  let turns = 0;

  return {
    parseLine(value) {
      if (!isRecord(value)) return [];
      switch (value.type) {
        case 'thread.started':
          if (typeof value.thread_id !== 'string') return [];
          threadId = value.thread_id;
          return [{ type: 'session-start', sessionId: value.thread_id }];
        case 'turn.started':
          turns++;
          return [];
        case 'item.started':
        case 'item.updated':
        case 'item.completed':
          return codexItemEvents(value.item, value.type === 'item.completed', startedTools);
        case 'turn.completed':
          return [{ type: 'session-result', status: 'success', sessionId: threadId, numTurns: Math.max(turns, 1) }];
        case 'turn.failed': {
          const message =
            isRecord(value.error) && typeof value.error.message === 'string' ? value.error.message : 'turn failed';
          return [
            { type: 'error', message },
            {
              type: 'session-result',
              status: 'failed',
              sessionId: threadId,
              numTurns: Math.max(turns, 1),
              reason: message,
            },
          ];
        }
        case 'error':
          return [{ type: 'error', message: typeof value.message === 'string' ? value.message : 'Codex stream error' }];
        default:
          return [];
      }
    },
  };
}
