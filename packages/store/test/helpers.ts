import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { openStore, type Store, type StoreOptions } from '../src/index.js';

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'band-store-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function tempStore(options?: StoreOptions): Store {
  const store = openStore(join(tempDir(), 'band.db'), options);
  onTestFinished(() => store.close());
  return store;
}

/** A project → workspace → chat chain, for tests that need a chat. */
export function seedChat(store: Store, suffix = '') {
  const project = store.projects.create({ name: `app${suffix}`, path: `/repos/app${suffix}`, defaultBranch: 'main' });
  const workspace = store.workspaces.create({
    projectId: project.id,
    branch: 'feat/x',
    baseBranch: 'main',
    path: `/wt/app${suffix}/feat/x`,
  });
  const chat = store.chats.create({ workspaceId: workspace.id, agentId: 'claude-code' });
  return { project, workspace, chat };
}
