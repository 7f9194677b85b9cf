// Shared setup for the chats tests: a temp BAND_HOME with real settings, a real band.db, a git worktree.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CodingAgent } from '@band/agents';
import { createCodingAgent } from '@band/agents';
import { fakeAgentEnv, fakeAgentPath, type FakeAgentEnvOptions } from '@band/agents/testing';
import { type CodingAgentConfig, loadSettings, type SettingsStore } from '@band/settings';
import { openStore, type Store, type Workspace } from '@band/store';
import { createEmitter, type TypedEmitter } from '../src/events.js';
import { silentLogger } from '../src/internal/logger.js';
import { type ChatService, createChatService } from '../src/chats/chat-service.js';
import type { ChatBusEvents } from '../src/chats/chat-types.js';

export interface ChatFixture extends AsyncDisposable {
  dir: string;
  home: string;
  store: Store;
  settings: SettingsStore;
  events: TypedEmitter<ChatBusEvents>;
  chats: ChatService;
  workspace: Workspace;
  /** Options of the fake CLI for the next turns (mutable). */
  fake: FakeAgentEnvOptions;
}

export interface ChatFixtureOptions {
  /** Agent factory; default: the fake CLI driven by `fixture.fake`. */
  createAgent?: (config: CodingAgentConfig, fixture: ChatFixture) => CodingAgent;
  agents?: CodingAgentConfig[];
  killGraceMs?: number;
  /** band.db's clock (`createdAt`). @default Date.now */
  storeNow?: () => number;
}

export async function createChatFixture(options: ChatFixtureOptions = {}): Promise<ChatFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'band-chats-'));
  const home = join(dir, 'home');
  const repo = join(dir, 'repo');
  mkdirSync(repo);
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  execFileSync('git', [
    '-C',
    repo,
    '-c',
    'user.name=t',
    '-c',
    'user.email=t@example.com',
    'commit',
    '-q',
    '--allow-empty',
    '-m',
    'init',
  ]);
  const settings = await loadSettings({ home });
  const agents = options.agents ?? [
    { id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: fakeAgentPath() },
  ];
  await settings.update((s) => ({ ...s, codingAgents: agents, defaultCodingAgent: agents[0]?.id ?? null }));
  const store = openStore(join(home, 'band.db'), { now: options.storeNow });
  const project = store.projects.create({ name: 'demo', path: repo, defaultBranch: 'main' });
  const workspace = store.workspaces.create({
    projectId: project.id,
    branch: 'main',
    baseBranch: 'main',
    path: repo,
    status: 'ready',
  });
  const events = createEmitter<ChatBusEvents>();
  const fixture = { dir, home, store, settings, events, workspace, fake: {} } as ChatFixture;
  fixture.chats = createChatService({
    store,
    settings,
    events,
    logger: silentLogger,
    home,
    env: { PATH: process.env.PATH },
    createAgent: (config) =>
      options.createAgent
        ? options.createAgent(config, fixture)
        : createCodingAgent({
            type: config.type,
            command: config.command,
            baseEnv: { PATH: process.env.PATH },
            env: fakeAgentEnv(fixture.fake),
            killGraceMs: options.killGraceMs ?? 500,
          }),
  });
  fixture[Symbol.asyncDispose] = async () => {
    await fixture.chats.close();
    store.close();
    await settings.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return fixture;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves when the turn reaches a final status. */
export async function waitForTurn(fixture: ChatFixture, turnId: string, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const turn = fixture.store.turns.get(turnId)!;
    if (['done', 'failed', 'aborted'].includes(turn.status)) return turn;
    if (Date.now() > deadline) throw new Error(`turn ${turnId} still ${turn.status}`);
    await new Promise<void>((resolve) => {
      const off = fixture.events.on('chat.event', (e) => {
        if (e.type === 'turn-end') {
          off();
          resolve();
        }
      });
      setTimeout(() => {
        off();
        resolve();
      }, 200);
    });
  }
}
