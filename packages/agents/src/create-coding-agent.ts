import { invocations } from './adapters.js';
import { createApprovalBridge } from './approval-bridge.js';
import { startAgentProcess } from './agent-process.js';
import { withoutBandVariables } from './child-env.js';
import { agentPackages, cliNotFound, invalidOptions } from './errors.js';
import { findExecutable } from '@band/internal';
import type { AgentLogger, CodingAgent, CodingAgentOptions, CodingAgentType } from './types.js';

const silentLogger: AgentLogger = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

export const codingAgentDefaults = Object.freeze({
  killGraceMs: 3_000,
  exitAfterResultMs: 5_000,
  maxLineBytes: 64 * 1024 * 1024,
});

const TYPES: readonly CodingAgentType[] = ['claude-code', 'codex', 'opencode'];

/**
 * One coding agent (Claude Code, Codex or OpenCode). `runSession` spawns the real CLI in the worktree and
 * yields normalised `AgentEvent`s.
 *
 * ```ts
 * const agent = createCodingAgent({ type: 'claude-code' });
 * const session = agent.runSession('Add a README', { cwd: worktree, mode: 'edit' });
 * for await (const event of session) console.log(event.type);
 * ```
 */
export function createCodingAgent(options: CodingAgentOptions): CodingAgent {
  if (!TYPES.includes(options.type)) {
    throw invalidOptions(`Unknown coding agent type: ${String(options.type)}`, `Use one of ${TYPES.join(', ')}.`);
  }
  const type = options.type;
  const command = options.command ?? agentPackages[type].bin;
  const logger = options.logger ?? silentLogger;
  const env = withoutBandVariables(options.baseEnv ?? process.env);
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return {
    type,
    command,
    runSession(prompt, run) {
      if (typeof prompt !== 'string' || prompt.trim() === '')
        throw invalidOptions('The prompt is empty', 'Send a message with some text.');
      const executable = findExecutable(command, env, run.cwd);
      if (!executable) throw cliNotFound(type, command);
      const approvals = run.approvals && type === 'claude-code' ? createApprovalBridge() : undefined;
      try {
        // Inside the try: reading an attached image can fail (the file was removed).
        const invocation = invocations[type]({
          ...run,
          prompt,
          model: run.model ?? options.model,
          maxTurns: run.maxTurns ?? options.maxTurns,
          approvalConfigPath: approvals?.configPath,
        });
        return startAgentProcess({
          approvals: approvals ?? invocation.approvals,
          protocol: invocation.protocol,
          command: executable,
          args: invocation.args,
          stdin: invocation.stdin,
          parser: invocation.parser,
          cwd: run.cwd,
          env: approvals ? withApprovalServerWait(env) : env,
          logger,
          sessionId: run.sessionId,
          signal: run.signal,
          killGraceMs: options.killGraceMs ?? codingAgentDefaults.killGraceMs,
          exitAfterResultMs: options.exitAfterResultMs ?? codingAgentDefaults.exitAfterResultMs,
          maxLineBytes: options.maxLineBytes ?? codingAgentDefaults.maxLineBytes,
        });
      } catch (error) {
        approvals?.close(); // no socket or config file outlives a session that never started
        throw error;
      }
    },
  };
}

/** How long Claude Code waits for Band's approval MCP server to connect before the turn starts. */
const APPROVAL_SERVER_WAIT_MS = 60_000;

/**
 * Claude Code connects MCP servers in the background by default and looks the permission prompt tool up at the first
 * prompt, so a busy machine still starting Band's MCP server (node + the SDK: seconds under load) got "MCP tool
 * mcp__band_approvals__permission_prompt … not found" and a failed turn. Band's server is `alwaysLoad` in its config
 * (Claude Code waits for those before the turn), and the wait is raised from Claude Code's 5 s to a minute. The user's
 * own values win.
 */
function withApprovalServerWait(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { MCP_CONNECTION_NONBLOCKING: 'false', MCP_CONNECT_TIMEOUT_MS: String(APPROVAL_SERVER_WAIT_MS), ...env };
}
