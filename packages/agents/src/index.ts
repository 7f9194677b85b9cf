// Public face of @band/agents: every export is listed by hand, grouped by topic.

// Agents
export { createCodingAgent, codingAgentDefaults } from './create-coding-agent.js';
export { detectCodingAgents } from './detect.js';
export { withoutBandVariables } from './child-env.js';
export type { DetectedCodingAgent } from './detect.js';
export type {
  AgentAttachment,
  AgentEvent,
  AgentEventType,
  AgentLogger,
  AgentMode,
  AgentSession,
  ApprovalAnswerer,
  ApprovalDecision,
  CodingAgent,
  CodingAgentOptions,
  CodingAgentType,
  LineParser,
  RunSessionOptions,
  SessionStatus,
} from './types.js';

// Approvals (Claude Code's permission prompt tool, served by Band's MCP server)
export { APPROVAL_PROMPT_TOOL, approvalMcpServerPath } from './approval-bridge.js';
export type { ApprovalChannel } from './approval-bridge.js';
// Codex's app-server protocol (JSON-RPC over stdio; approvals for commands and patches)
export { createCodexAppServer, execItemOf } from './codex-app-server.js';
export type { CodexAppServer, CodexAppServerOptions, CodexUserInput } from './codex-app-server.js';
export type { StdioProtocol } from './agent-process.js';

// Stream parsing (pure; exported for other hosts and for tests)
export { createLineSplitter } from './line-splitter.js';
export type { LineSplitter, SplitLine } from './line-splitter.js';
export { createClaudeCodeParser } from './parsers/claude-code.js';
export { createCodexParser } from './parsers/codex.js';
export { createOpenCodeParser } from './parsers/opencode.js';
export { claudeCodeInvocation, codexInvocation, codexTurnInput, openCodeInvocation } from './adapters.js';
export type { AdapterInvocation } from './adapters.js';
export { redact } from './stderr-buffer.js';
export { findExecutable } from '@band/internal';

// Errors
export { AgentError, agentPackages } from './errors.js';
export type { AgentErrorCode } from './errors.js';
