// Test kit for @band/agents: shipped as @band/agents/testing.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { startScriptedModel } from './scripted-model.js';
export type {
  ModelScript,
  RecordedRequest,
  ScriptedBlock,
  ScriptedModel,
  ScriptedModelOptions,
  ScriptedReply,
} from './scripted-model.js';

/** Scenarios of the fake CLI (see `testing-bin/fake-agent.mjs`). */
export type FakeAgentScenario =
  | 'ok'
  | 'crash'
  | 'malformed'
  | 'large'
  | 'slow'
  | 'hang'
  | 'linger'
  | 'flood'
  | 'storm'
  | 'stderr-only'
  | 'api-error';

/**
 * Absolute path of the fake agent CLI (an executable Node script). Use it as a coding agent's `command`;
 * it speaks the format of the agent `type` it is run as, and picks its behaviour from
 * `FAKE_AGENT_SCENARIO` (see `fakeAgentEnv`).
 */
export function fakeAgentPath(): string {
  // src/testing/index.ts and dist/testing/index.js sit at the same depth.
  return fileURLToPath(new URL('../../testing-bin/fake-agent.mjs', import.meta.url));
}

export interface FakeAgentEnvOptions {
  scenario?: FakeAgentScenario;
  /** `ok`: relative path of a file the fake creates in its cwd. */
  writeFile?: string;
  /** Record argv, cwd and the environment's variable names (JSON: `{ argv, cwd, envNames }`) in this file. */
  argvFile?: string;
  /** `hang`: the fake writes "<pid> <grandchild pid>" here. */
  pidFile?: string;
  ignoreSigterm?: boolean;
  /** `large`: bytes of text to emit. */
  bytes?: number;
  /** `slow` / `flood` / `storm`: number of events. */
  events?: number;
  /** `slow`: delay between events. */
  delayMs?: number;
  /** `flood` / `storm`: events per second (0 = as fast as possible). */
  rate?: number;
  /** `storm`: one tool round trip (2 events) every this many events. @default 100 */
  toolEvery?: number;
  /** `storm`: bytes of each tool output. @default 256 KiB */
  toolBytes?: number;
}

/** Environment for the fake agent CLI. */
export function fakeAgentEnv(options: FakeAgentEnvOptions = {}): Record<string, string> {
  const env: Record<string, string> = { FAKE_AGENT_SCENARIO: options.scenario ?? 'ok' };
  if (options.writeFile) env.FAKE_AGENT_WRITE = options.writeFile;
  if (options.argvFile) env.FAKE_AGENT_ARGV_FILE = options.argvFile;
  if (options.pidFile) env.FAKE_AGENT_PID_FILE = options.pidFile;
  if (options.ignoreSigterm) env.FAKE_AGENT_IGNORE_TERM = '1';
  if (options.bytes !== undefined) env.FAKE_AGENT_BYTES = String(options.bytes);
  if (options.events !== undefined) env.FAKE_AGENT_EVENTS = String(options.events);
  if (options.delayMs !== undefined) env.FAKE_AGENT_DELAY_MS = String(options.delayMs);
  if (options.rate !== undefined) env.FAKE_AGENT_RATE = String(options.rate);
  if (options.toolEvery !== undefined) env.FAKE_AGENT_TOOL_EVERY = String(options.toolEvery);
  if (options.toolBytes !== undefined) env.FAKE_AGENT_TOOL_BYTES = String(options.toolBytes);
  return env;
}

/** A file inside an installed npm package, or undefined when the package is not installed. */
function fileInPackage(name: string, ...path: string[]): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve(`${name}/package.json`)), ...path);
  } catch {
    return undefined;
  }
}

/** Path of the real `claude` executable from the `@anthropic-ai/claude-code` npm package, if installed. */
export function findClaudeCodeBinary(): string | undefined {
  return fileInPackage('@anthropic-ai/claude-code', 'bin', 'claude.exe');
}

/**
 * Environment that runs the real Claude Code fully offline against a scripted model: a private HOME and
 * config dir (never the user's ~/.claude), no telemetry, no auto-update, no nonessential traffic. Its temp files
 * go where this process keeps its own (a test run's TMPDIR), not to the shared /tmp Claude Code uses otherwise.
 */
export function claudeCodeOfflineEnv(options: { home: string; baseUrl: string }): Record<string, string> {
  const configDir = join(options.home, '.claude');
  mkdirSync(configDir, { recursive: true });
  return {
    HOME: options.home,
    CLAUDE_CONFIG_DIR: configDir,
    TMPDIR: tmpdir(),
    CLAUDE_CODE_TMPDIR: tmpdir(),
    ANTHROPIC_BASE_URL: options.baseUrl,
    ANTHROPIC_API_KEY: 'sk-ant-offline-test-key',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
    CLAUDE_CODE_ENABLE_TELEMETRY: '0',
    NO_PROXY: '127.0.0.1,localhost',
  };
}

/** Path of the real `codex` launcher from the `@openai/codex` npm package (its native binary ships as an npm optional
 * dependency), if installed. */
export function findCodexBinary(): string | undefined {
  return fileInPackage('@openai/codex', 'bin', 'codex.js');
}

/**
 * Environment that runs the real Codex fully offline against a scripted model: a private CODEX_HOME whose
 * config.toml selects a `responses` provider at `baseUrl` (`<url>/v1`), with plugin sync and update checks
 * off (they would reach github.com / chatgpt.com). Its temp files go where this process keeps its own.
 */
export function codexOfflineEnv(options: { home: string; baseUrl: string; model?: string }): Record<string, string> {
  mkdirSync(options.home, { recursive: true });
  const config = [
    `model = ${JSON.stringify(options.model ?? 'gpt-scripted')}`,
    'model_provider = "scripted"',
    'check_for_update_on_startup = false',
    '',
    '[features]',
    'plugins = false',
    'apps = false',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[model_providers.scripted]',
    'name = "scripted"',
    `base_url = ${JSON.stringify(`${options.baseUrl}/v1`)}`,
    'wire_api = "responses"',
    'env_key = "SCRIPTED_MODEL_API_KEY"',
    '',
  ].join('\n');
  writeFileSync(join(options.home, 'config.toml'), config);
  return {
    HOME: options.home,
    CODEX_HOME: options.home,
    TMPDIR: tmpdir(),
    SCRIPTED_MODEL_API_KEY: 'offline-test-key',
    RUST_LOG: 'error',
    NO_PROXY: '127.0.0.1,localhost',
  };
}
