import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { StdioProtocol } from './agent-process.js';
import { APPROVAL_PROMPT_TOOL, type ApprovalChannel } from './approval-bridge.js';
import { type CodexUserInput, createCodexAppServer } from './codex-app-server.js';
import { createClaudeCodeParser } from './parsers/claude-code.js';
import { createOpenCodeParser } from './parsers/opencode.js';
import type { AgentAttachment, CodingAgentType, LineParser, RunSessionOptions } from './types.js';

/** How one CLI is invoked: argv, what goes to stdin, and how its stdout is parsed. */
export interface AdapterInvocation {
  args: string[];
  stdin?: string;
  parser: LineParser;
  /** A CLI driven over stdio (Codex app-server): stdin stays open for it. */
  protocol?: StdioProtocol;
  /** The CLI's own approval channel (Codex app-server), when it has one. */
  approvals?: ApprovalChannel;
}

export interface InvocationInput extends RunSessionOptions {
  prompt: string;
  maxTurns?: number;
  /** The `--mcp-config` file of the turn's approval bridge (Claude Code with `approvals`). */
  approvalConfigPath?: string;
}

/** Claude Code permission modes for Band's neutral modes; native names pass through. */
export function claudePermissionMode(mode: string): string {
  if (mode === 'edit') return 'acceptEdits';
  return mode; // plan, default, acceptEdits, bypassPermissions, ...
}

/** The prompt plus a list of the files the agent reads by path (for CLIs that take no inline file). */
export function promptWithPaths(prompt: string, files: readonly AgentAttachment[]): string {
  if (files.length === 0) return prompt;
  const lines = files.map((f) => `- ${f.path} (${f.name}, ${f.mediaType}, ${f.size} bytes)`);
  return `${prompt}\n\nAttached files (read them from these paths):\n${lines.join('\n')}`;
}

function split(attachments: readonly AgentAttachment[] | undefined) {
  const all = attachments ?? [];
  return { images: all.filter((a) => a.kind === 'image'), files: all.filter((a) => a.kind !== 'image') };
}

/**
 * Claude Code: the prompt goes over stdin as one stream-json user message (a prompt in argv with stdin
 * open hangs, multica#592), then stdin closes so the CLI exits after its `result`.
 */
export function claudeCodeInvocation(input: InvocationInput): AdapterInvocation {
  const args = [
    '-p',
    '--output-format',
    'stream-json',
    '--input-format',
    'stream-json',
    '--verbose',
    '--include-partial-messages',
  ];
  if (input.sessionId) args.push('--resume', input.sessionId);
  if (input.model) args.push('--model', input.model);
  if (input.mode) args.push('--permission-mode', claudePermissionMode(input.mode));
  if (input.maxTurns !== undefined) args.push('--max-turns', String(input.maxTurns));
  // The capability is inside the config file (0600), never on argv. --mcp-config is variadic: a flag follows it.
  if (input.approvalConfigPath)
    args.push('--mcp-config', input.approvalConfigPath, '--permission-prompt-tool', APPROVAL_PROMPT_TOOL);
  // Images go inline (base64 image blocks of the message); other files by path, in folders the CLI may read.
  const { images, files } = split(input.attachments);
  const dirs = [...new Set(files.map((f) => dirname(f.path)))];
  if (dirs.length > 0) args.push('--add-dir', ...dirs); // variadic: nothing positional follows (the prompt is on stdin)
  const text = promptWithPaths(input.prompt, files);
  const content =
    images.length === 0
      ? text
      : [
          ...images.map((image) => ({
            type: 'image',
            source: { type: 'base64', media_type: image.mediaType, data: readFileSync(image.path).toString('base64') },
          })),
          { type: 'text', text },
        ];
  const stdin = `${JSON.stringify({ type: 'user', message: { role: 'user', content } })}\n`;
  return { args, stdin, parser: createClaudeCodeParser() };
}

/**
 * Codex sandbox for Band's neutral modes (band-docs §2.5): edit → workspace-write, plan → read-only, and `default`
 * (ask before acting) → workspace-write, asking before commands and patches when approvals are on.
 */
export function codexSandbox(mode: string): string {
  if (mode === 'edit' || mode === 'default') return 'workspace-write';
  if (mode === 'plan') return 'read-only';
  return mode;
}

/** The `turn/start` input: attached images as `localImage` items, then the prompt with the paths of other files. */
export function codexTurnInput(prompt: string, attachments: readonly AgentAttachment[] | undefined): CodexUserInput[] {
  const { images, files } = split(attachments);
  return [
    ...images.map((image) => ({ type: 'localImage' as const, path: image.path })),
    { type: 'text', text: promptWithPaths(prompt, files), text_elements: [] },
  ];
}

/**
 * Codex: `codex app-server`, driven over stdio with JSON-RPC (`thread/start` or `thread/resume`, then `turn/start`),
 * so its command and patch approval requests can reach the user. The prompt travels in `turn/start`, never on argv.
 */
export function codexInvocation(input: InvocationInput): AdapterInvocation {
  const protocol = createCodexAppServer({
    cwd: input.cwd,
    input: codexTurnInput(input.prompt, input.attachments),
    sessionId: input.sessionId,
    model: input.model,
    sandbox: input.mode ? codexSandbox(input.mode) : undefined,
    approvals: input.approvals === true,
  });
  return { args: ['app-server'], parser: protocol, protocol, approvals: protocol };
}

/** OpenCode: `opencode run --format json [--session id] [--model m] [--agent plan|build] -- <prompt>`. */
export function openCodeInvocation(input: InvocationInput): AdapterInvocation {
  const args = ['run', '--format', 'json'];
  if (input.sessionId) args.push('--session', input.sessionId);
  if (input.model) args.push('--model', input.model);
  if (input.mode) args.push('--agent', input.mode === 'edit' ? 'build' : input.mode);
  // `--` so a prompt starting with "-" is never read as an option.
  args.push('--', promptWithPaths(input.prompt, input.attachments ?? []));
  return { args, parser: createOpenCodeParser() };
}

export const invocations: Readonly<Record<CodingAgentType, (input: InvocationInput) => AdapterInvocation>> =
  Object.freeze({
    'claude-code': claudeCodeInvocation,
    codex: codexInvocation,
    opencode: openCodeInvocation,
  });
