import type { AgentEvent, LineParser } from '../types.js';
import { isRecord, stringifyOutput } from './util.js';

/**
 * Parser for `claude -p --output-format stream-json --verbose [--include-partial-messages]`.
 * Token deltas (`stream_event`) become `text-delta`s; a whole `assistant` text block becomes one only when its
 * message was not streamed, so text is never doubled. A second `system/init` in the same process is ignored.
 */
export function createClaudeCodeParser(): LineParser {
  let started = false;
  const streamedMessages = new Set<string>();
  let currentMessageId: string | undefined;

  return {
    parseLine(value) {
      if (!isRecord(value)) return [];
      switch (value.type) {
        case 'system': {
          if (value.subtype !== 'init' || started || typeof value.session_id !== 'string') return [];
          started = true;
          return [
            {
              type: 'session-start',
              sessionId: value.session_id,
              model: typeof value.model === 'string' ? value.model : undefined,
              cwd: typeof value.cwd === 'string' ? value.cwd : undefined,
            },
          ];
        }
        case 'stream_event': {
          const event = value.event;
          if (!isRecord(event)) return [];
          if (event.type === 'message_start' && isRecord(event.message) && typeof event.message.id === 'string') {
            currentMessageId = event.message.id;
            return [];
          }
          if (event.type === 'content_block_delta' && isRecord(event.delta) && event.delta.type === 'text_delta') {
            const text = event.delta.text;
            if (typeof text !== 'string' || text === '') return [];
            if (currentMessageId) streamedMessages.add(currentMessageId);
            return [{ type: 'text-delta', text, messageId: currentMessageId }];
          }
          return [];
        }
        case 'assistant': {
          const message = value.message;
          const events: AgentEvent[] = [];
          if (typeof value.error === 'string') {
            events.push({ type: 'error', message: `Model API error: ${value.error}` });
          }
          if (!isRecord(message) || !Array.isArray(message.content)) return events;
          const messageId = typeof message.id === 'string' ? message.id : undefined;
          for (const block of message.content) {
            if (!isRecord(block)) continue;
            if (block.type === 'text' && typeof block.text === 'string') {
              if (messageId && streamedMessages.has(messageId)) continue;
              events.push({ type: 'text-delta', text: block.text, messageId });
            } else if (block.type === 'tool_use' && typeof block.id === 'string') {
              events.push({
                type: 'tool-use',
                id: block.id,
                name: String(block.name ?? 'unknown'),
                input: block.input ?? {},
              });
            }
          }
          return events;
        }
        case 'user': {
          const message = value.message;
          if (!isRecord(message) || !Array.isArray(message.content)) return [];
          const events: AgentEvent[] = [];
          for (const block of message.content) {
            if (!isRecord(block) || block.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
            events.push({
              type: 'tool-result',
              id: block.tool_use_id,
              output: stringifyOutput(block.content),
              isError: block.is_error === true,
            });
          }
          return events;
        }
        case 'result': {
          const ok = value.subtype === 'success' && value.is_error !== true;
          return [
            {
              type: 'session-result',
              status: ok ? 'success' : 'failed',
              sessionId: typeof value.session_id === 'string' ? value.session_id : undefined,
              costUsd: typeof value.total_cost_usd === 'number' ? value.total_cost_usd : undefined,
              durationMs: typeof value.duration_ms === 'number' ? value.duration_ms : undefined,
              numTurns: typeof value.num_turns === 'number' ? value.num_turns : undefined,
              result: typeof value.result === 'string' ? value.result : undefined,
              reason: ok ? undefined : String(value.subtype ?? 'error'),
            },
          ];
        }
        default:
          return [];
      }
    },
  };
}
