import { describe, expect, it } from 'vitest';
import { createClaudeCodeParser } from '../src/parsers/claude-code.js';
import { createCodexParser } from '../src/parsers/codex.js';
import { createOpenCodeParser } from '../src/parsers/opencode.js';

// The minimal synthetic run from reference/peers.md §3.1.
const claudeRun = [
  '{"type":"system","subtype":"init","session_id":"S","cwd":"/w","model":"m",' +
    '"tools":["Bash","Edit"],"permissionMode":"default","uuid":"u0"}',
  '{"type":"assistant","message":{"id":"msg_1","type":"message","role":"assistant","model":"m",' +
    '"content":[{"type":"tool_use","id":"toolu_1","name":"Bash","input":{"command":"echo ' +
    'hi"}}],"stop_reason":null,"usage":{"input_tokens":1,"output_tokens":1}},' +
    '"parent_tool_use_id":null,"session_id":"S","uuid":"u1"}',
  '{"type":"user","message":{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1",' +
    '"content":"hi","is_error":false}]},"tool_use_result":{"stdout":"hi","stderr":"",' +
    '"interrupted":false},"parent_tool_use_id":null,"session_id":"S","uuid":"u2"}',
  '{"type":"assistant","message":{"id":"msg_2","type":"message","role":"assistant","model":"m",' +
    '"content":[{"type":"text","text":"It printed hi."}],"stop_reason":null,"usage":{"input_tokens":1,' +
    '"output_tokens":4}},"parent_tool_use_id":null,"session_id":"S","uuid":"u3"}',
  '{"type":"result","subtype":"success","is_error":false,"duration_ms":1200,"duration_api_ms":1100,' +
    '"num_turns":2,"result":"It printed hi.","session_id":"S","total_cost_usd":0.0021,' +
    '"usage":{"input_tokens":2,"output_tokens":5},"permission_denials":[],"uuid":"u4"}',
];

describe('Claude Code stream-json parser', () => {
  it('turns a tool round trip into session-start, tool-use, tool-result, text and result', () => {
    const parser = createClaudeCodeParser();
    const events = claudeRun.flatMap((line) => parser.parseLine(JSON.parse(line)));
    expect(events).toEqual([
      { type: 'session-start', sessionId: 'S', model: 'm', cwd: '/w' },
      { type: 'tool-use', id: 'toolu_1', name: 'Bash', input: { command: 'echo hi' } },
      { type: 'tool-result', id: 'toolu_1', output: 'hi', isError: false },
      { type: 'text-delta', text: 'It printed hi.', messageId: 'msg_2' },
      {
        type: 'session-result',
        status: 'success',
        sessionId: 'S',
        costUsd: 0.0021,
        durationMs: 1200,
        numTurns: 2,
        result: 'It printed hi.',
        reason: undefined,
      },
    ]);
  });

  it('streams token deltas once and does not repeat them from the whole assistant block', () => {
    const parser = createClaudeCodeParser();
    const lines = [
      { type: 'stream_event', event: { type: 'message_start', message: { id: 'msg_9' } } },
      {
        type: 'stream_event',
        event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      },
      {
        type: 'stream_event',
        event: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
      },
      { type: 'assistant', message: { id: 'msg_9', content: [{ type: 'text', text: 'Hello' }] } },
    ];
    expect(lines.flatMap((l) => parser.parseLine(l))).toEqual([
      { type: 'text-delta', text: 'Hel', messageId: 'msg_9' },
      { type: 'text-delta', text: 'lo', messageId: 'msg_9' },
    ]);
  });

  it('reports error results, tool errors with text blocks, API errors, and ignores a second init', () => {
    const parser = createClaudeCodeParser();
    parser.parseLine(JSON.parse(claudeRun[0]!));
    expect(parser.parseLine(JSON.parse(claudeRun[0]!))).toEqual([]);
    expect(
      parser.parseLine({
        type: 'user',
        message: {
          content: [
            {
              type: 'tool_result',
              tool_use_id: 't',
              content: [{ type: 'text', text: 'no such file' }],
              is_error: true,
            },
          ],
        },
      }),
    ).toEqual([{ type: 'tool-result', id: 't', output: 'no such file', isError: true }]);
    expect(parser.parseLine({ type: 'assistant', error: 'rate_limit', message: { content: [] } })).toEqual([
      { type: 'error', message: 'Model API error: rate_limit' },
    ]);
    const [result] = parser.parseLine({ type: 'result', subtype: 'error_max_turns', is_error: true, num_turns: 3 });
    expect(result).toMatchObject({ type: 'session-result', status: 'failed', reason: 'error_max_turns', numTurns: 3 });
  });

  it('ignores values that are not events instead of throwing', () => {
    const parser = createClaudeCodeParser();
    for (const value of [
      null,
      42,
      'text',
      [1, 2],
      {},
      { type: 'assistant' },
      { type: 'assistant', message: { content: [null, 3] } },
      { type: 'stream_event', event: 5 },
    ]) {
      expect(parser.parseLine(value)).toEqual([]);
    }
  });
});

describe('Codex exec --json parser', () => {
  it('maps thread, command items, agent messages and turn completion', () => {
    const parser = createCodexParser();
    const lines = [
      { type: 'thread.started', thread_id: '019e-1' },
      { type: 'turn.started' },
      {
        type: 'item.started',
        item: {
          id: 'item_1',
          type: 'command_execution',
          command: 'git status',
          aggregated_output: '',
          exit_code: null,
          status: 'in_progress',
        },
      },
      {
        type: 'item.completed',
        item: {
          id: 'item_1',
          type: 'command_execution',
          command: 'git status',
          aggregated_output: 'clean',
          exit_code: 0,
          status: 'completed',
        },
      },
      {
        type: 'item.completed',
        item: { id: 'item_2', type: 'file_change', changes: [{ path: 'a.txt', kind: 'add' }], status: 'completed' },
      },
      { type: 'item.completed', item: { id: 'item_3', type: 'agent_message', text: 'Done.' } },
      {
        type: 'item.completed',
        item: { id: 'item_4', type: 'error', message: 'Falling back from WebSockets to HTTPS transport.' },
      },
      {
        type: 'turn.completed',
        usage: { input_tokens: 1, cached_input_tokens: 0, output_tokens: 2, reasoning_output_tokens: 0 },
      },
    ];
    expect(lines.flatMap((l) => parser.parseLine(l))).toEqual([
      { type: 'session-start', sessionId: '019e-1' },
      { type: 'tool-use', id: 'item_1', name: 'Bash', input: { command: 'git status' } },
      { type: 'tool-result', id: 'item_1', output: 'clean', isError: false },
      { type: 'tool-use', id: 'item_2', name: 'FileChange', input: { changes: [{ path: 'a.txt', kind: 'add' }] } },
      { type: 'tool-result', id: 'item_2', output: 'add a.txt', isError: false },
      { type: 'text-delta', text: 'Done.', messageId: 'item_3' },
      { type: 'error', message: 'Falling back from WebSockets to HTTPS transport.' },
      { type: 'session-result', status: 'success', sessionId: '019e-1', numTurns: 1 },
    ]);
  });

  it('turns turn.failed into an error and a failed result', () => {
    const parser = createCodexParser();
    expect(parser.parseLine({ type: 'turn.failed', error: { message: '401 Unauthorized' } })).toEqual([
      { type: 'error', message: '401 Unauthorized' },
      { type: 'session-result', status: 'failed', sessionId: undefined, numTurns: 1, reason: '401 Unauthorized' },
    ]);
  });
});

describe('OpenCode run --format json parser', () => {
  it('maps steps, text, tool parts and done', () => {
    const parser = createOpenCodeParser();
    const lines = [
      { type: 'step_start', sessionID: 'ses_1', part: {} },
      { type: 'text', sessionID: 'ses_1', part: { messageID: 'm1', text: 'Hi', time: { end: 1 } } },
      {
        type: 'tool_use',
        sessionID: 'ses_1',
        part: { callID: 'c1', tool: 'bash', state: { status: 'completed', input: { command: 'ls' }, output: 'a' } },
      },
      {
        type: 'tool_use',
        sessionID: 'ses_1',
        part: { callID: 'c2', tool: 'read', state: { status: 'error', input: {}, error: 'missing' } },
      },
      { type: 'step_finish', sessionID: 'ses_1', part: { cost: 0.5 } },
      { type: 'error', sessionID: 'ses_1', error: { name: 'APIError', data: { message: 'boom' } } },
      { type: 'done', sessionID: 'ses_1' },
    ];
    expect(lines.flatMap((l) => parser.parseLine(l))).toEqual([
      { type: 'session-start', sessionId: 'ses_1' },
      { type: 'text-delta', text: 'Hi', messageId: 'm1' },
      { type: 'tool-use', id: 'c1', name: 'bash', input: { command: 'ls' } },
      { type: 'tool-result', id: 'c1', output: 'a', isError: false },
      { type: 'tool-use', id: 'c2', name: 'read', input: {} },
      { type: 'tool-result', id: 'c2', output: 'missing', isError: true },
      { type: 'error', message: 'boom' },
      { type: 'session-result', status: 'success', sessionId: 'ses_1', numTurns: 1, costUsd: 0.5 },
    ]);
  });
});
