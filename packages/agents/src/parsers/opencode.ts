import type { AgentEvent, LineParser } from '../types.js';
import { isRecord, stringifyOutput } from './util.js';

/** Parser for `opencode run --format json` (`step_start`, `text`, `tool_use`, `step_finish`, `error`, `done`). */
export function createOpenCodeParser(): LineParser {
  let sessionId: string | undefined;
  let steps = 0;
  let costUsd = 0;

  return {
    parseLine(value) {
      if (!isRecord(value)) return [];
      const events: AgentEvent[] = [];
      if (!sessionId && typeof value.sessionID === 'string') {
        sessionId = value.sessionID;
        events.push({ type: 'session-start', sessionId });
      }
      const part = isRecord(value.part) ? value.part : {};
      switch (value.type) {
        case 'step_start':
          steps++;
          break;
        case 'text':
          if (typeof part.text === 'string' && part.text !== '') {
            events.push({
              type: 'text-delta',
              text: part.text,
              messageId: typeof part.messageID === 'string' ? part.messageID : undefined,
            });
          }
          break;
        case 'tool_use': {
          const id = String(part.callID ?? part.id ?? `tool_${steps}`);
          const state = isRecord(part.state) ? part.state : {};
          events.push({ type: 'tool-use', id, name: String(part.tool ?? 'unknown'), input: state.input ?? {} });
          if (state.status === 'completed' || state.status === 'error') {
            events.push({
              type: 'tool-result',
              id,
              output: state.status === 'error' ? String(state.error ?? 'error') : stringifyOutput(state.output),
              isError: state.status === 'error',
            });
          }
          break;
        }
        case 'step_finish':
          if (typeof part.cost === 'number') costUsd += part.cost;
          break;
        case 'error': {
          const error = isRecord(value.error) ? value.error : {};
          const message =
            (isRecord(error.data) && typeof error.data.message === 'string' ? error.data.message : undefined) ??
            (typeof error.message === 'string' ? error.message : undefined) ??
            (typeof error.name === 'string' ? error.name : 'OpenCode error');
          events.push({ type: 'error', message });
          break;
        }
        case 'done':
          events.push({ type: 'session-result', status: 'success', sessionId, numTurns: steps, costUsd });
          break;
      }
      return events;
    },
  };
}
