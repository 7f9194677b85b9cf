import { createClaudeCodeParser } from './parsers/claude-code.js';
import { createCodexParser } from './parsers/codex.js';
import { createOpenCodeParser } from './parsers/opencode.js';
import type { CodingAgentType, LineParser, RunSessionOptions } from './types.js';

/** How one CLI is invoked: argv, what goes to stdin, and how its stdout is parsed. */
export interface AdapterInvocation {
  args: string[];
  stdin?: string;
  parser: LineParser;
}

export interface InvocationInput extends RunSessionOptions {
  prompt: string;
  maxTurns?: number;
}

/** Claude Code permission modes for Band's neutral modes; native names pass through. */
export function claudePermissionMode(mode: string): string {
  if (mode === 'edit') return 'acceptEdits';
  return mode; // plan, default, acceptEdits, bypassPermissions, ...
}

/**
 * Claude Code: the prompt goes over stdin as one stream-json user message (a prompt in argv with stdin
 * open hangs, multica#592), then stdin closes so the CLI exits after its `result`.
 */
export function claudeCodeInvocation(input: InvocationInput): AdapterInvocation {
  const args = ['-p', '--output-format', 'stream-json', '--input-format', 'stream-json', '--verbose', '--include-partial-messages'];
  if (input.sessionId) args.push('--resume', input.sessionId);
  if (input.model) args.push('--model', input.model);
  if (input.mode) args.push('--permission-mode', claudePermissionMode(input.mode));
  if (input.maxTurns !== undefined) args.push('--max-turns', String(input.maxTurns));
  const stdin = `${JSON.stringify({ type: 'user', message: { role: 'user', content: input.prompt } })}\n`;
  return { args, stdin, parser: createClaudeCodeParser() };
}

/** Codex sandbox for Band's neutral modes (band-docs §2.5): edit → workspace-write, plan → read-only. */
export function codexSandbox(mode: string): string {
  if (mode === 'edit') return 'workspace-write';
  if (mode === 'plan') return 'read-only';
  return mode;
}

/** Codex: `codex exec --json [opts] [resume <id>] -`, the prompt read from stdin (never argv). */
export function codexInvocation(input: InvocationInput): AdapterInvocation {
  const args = ['exec', '--json', '--skip-git-repo-check', '--cd', input.cwd];
  if (input.model) args.push('--model', input.model);
  if (input.mode) args.push('--sandbox', codexSandbox(input.mode));
  if (input.sessionId) args.push('resume', input.sessionId);
  args.push('-');
  return { args, stdin: input.prompt, parser: createCodexParser() };
}

/** OpenCode: `opencode run --format json [--session id] [--model m] [--agent plan|build] -- <prompt>`. */
export function openCodeInvocation(input: InvocationInput): AdapterInvocation {
  const args = ['run', '--format', 'json'];
  if (input.sessionId) args.push('--session', input.sessionId);
  if (input.model) args.push('--model', input.model);
  if (input.mode) args.push('--agent', input.mode === 'edit' ? 'build' : input.mode);
  // `--` so a prompt starting with "-" is never read as an option.
  args.push('--', input.prompt);
  return { args, parser: createOpenCodeParser() };
}

export const invocations: Readonly<Record<CodingAgentType, (input: InvocationInput) => AdapterInvocation>> = Object.freeze({
  'claude-code': claudeCodeInvocation,
  codex: codexInvocation,
  opencode: openCodeInvocation,
});
