import { expect, it } from 'vitest';
import * as api from '../src/index.js';
import * as testing from '../src/testing/index.js';

it('exports exactly this public API (a change here needs a changeset)', () => {
  expect(Object.keys(api).sort()).toMatchInlineSnapshot(`
    [
      "APPROVAL_PROMPT_TOOL",
      "AgentError",
      "agentPackages",
      "approvalMcpServerPath",
      "claudeCodeInvocation",
      "codexInvocation",
      "codexTurnInput",
      "codingAgentDefaults",
      "createClaudeCodeParser",
      "createCodexAppServer",
      "createCodexParser",
      "createCodingAgent",
      "createLineSplitter",
      "createOpenCodeParser",
      "detectCodingAgents",
      "execItemOf",
      "findExecutable",
      "openCodeInvocation",
      "redact",
      "withoutBandVariables",
    ]
  `);
  expect(Object.keys(testing).sort()).toMatchInlineSnapshot(`
    [
      "claudeCodeOfflineEnv",
      "codexOfflineEnv",
      "fakeAgentEnv",
      "fakeAgentPath",
      "findClaudeCodeBinary",
      "findCodexBinary",
      "startScriptedModel",
    ]
  `);
});
