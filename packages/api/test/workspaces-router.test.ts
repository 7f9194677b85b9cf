// The projects / workspaces / changes / files routers through tRPC, on real services from createServices().
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { createTestGate } from '@band/auth/testing';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { createContextInner } from '../src/context.js';
import { silentLogger } from '../src/internal/logger.js';
import { createCaller } from '../src/root.js';
import { createServices } from '../src/create-services.js';
import type { WorkspaceStreamEvent } from '../src/workspaces/workspace-types.js';
import { gitEnv, initRepo, tempRoot, writeFiles } from './fixtures/git-workspace.js';

async function setup(options: { env?: NodeJS.ProcessEnv } = {}) {
  const testGate = await createTestGate();
  const root = tempRoot();
  const worktreesDir = join(root, 'worktrees');
  await testGate.settings.set('worktreesDir', worktreesDir);
  const handle = await createServices({
    home: testGate.home,
    settings: testGate.settings,
    gate: testGate.gate,
    logger: silentLogger,
    env: gitEnv(options.env),
  });
  onTestFinished(async () => {
    await handle.close();
    await testGate.close();
  });
  const repo = initRepo(join(root, 'repos', 'app'), {
    'README.md': '# app\n',
    '.band/config.json': JSON.stringify({ setup: 'echo setting up' }),
  });
  const api = createCaller(
    createContextInner({ principal: { kind: 'root', listener: 'local' } as never, services: handle.services }),
  );
  return { api, handle, repo, worktreesDir, home: testGate.home, settings: testGate.settings };
}

describe('projects / workspaces / changes / files over tRPC', () => {
  it('register → create → change → diff → read → commit → remove, with the store in BAND_HOME', async () => {
    const { api, handle, repo, worktreesDir, home } = await setup();
    expect(existsSync(join(home, 'band.db'))).toBe(true);

    const { project } = await api.projects.register({ path: repo });
    expect(await api.projects.list()).toEqual([project]);

    const { workspace, created } = await api.workspaces.create({
      project: 'app',
      branch: 'feat/login',
      waitForSetup: true,
    });
    expect(created).toBe(true);
    expect(workspace).toMatchObject({
      path: join(worktreesDir, 'app', 'feat', 'login'),
      setupStatus: 'completed',
      projectName: 'app',
    });
    expect((await api.workspaces.list()).map((w) => w.id)).toEqual([workspace.id]);
    expect((await api.workspaces.get({ workspace: 'feat/login' })).id).toBe(workspace.id);

    writeFiles(workspace.path, { 'login.ts': 'export const login = true;\n' });
    const status = await api.changes.status({ workspace: workspace.id });
    expect(status.files).toEqual([expect.objectContaining({ path: 'login.ts', status: 'U' })]);
    expect((await api.changes.diff({ workspace: workspace.id, path: 'login.ts' })).patch).toContain(
      '+export const login',
    );
    expect(await api.files.read({ workspace: workspace.id, path: 'login.ts' })).toMatchObject({
      content: 'export const login = true;\n',
    });
    expect((await api.files.list({ workspace: workspace.id })).entries.map((e) => e.name)).toContain('login.ts');
    expect((await api.changes.commit({ workspace: workspace.id, message: 'Add login' })).summary).toBe('Add login');

    // Terminals and language servers find the worktree through services.workspaces.get.
    expect((await handle.services.workspaces.get(workspace.id)).path).toBe(workspace.path);

    const removed = await api.workspaces.remove({ workspace: workspace.id });
    expect(removed.workspaceId).toBe(workspace.id);
    expect(existsSync(workspace.path)).toBe(false);
    await api.projects.remove({ project: 'app' });
    expect(await api.projects.list()).toEqual([]);
  });

  it('maps domain errors to tRPC codes with hint and reason', async () => {
    const { api, repo } = await setup();
    await api.projects.register({ path: repo });
    const { workspace } = await api.workspaces.create({ project: 'app', branch: 'x' });
    await expect(api.files.read({ workspace: workspace.id, path: '../../etc/passwd' })).rejects.toMatchObject({
      code: 'FORBIDDEN',
      cause: expect.objectContaining({ reason: 'PATH_OUTSIDE_WORKSPACE' }),
    });
    await expect(api.workspaces.create({ project: 'app', branch: '--upload-pack=evil' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
      cause: expect.objectContaining({ reason: 'INVALID_BRANCH_NAME' }),
    });
    await expect(api.workspaces.get({ workspace: 'nope' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(api.projects.register({ path: '/definitely/not/here' })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    // Schema-level refusals happen before any service runs.
    await expect(api.changes.commit({ workspace: workspace.id, message: '' })).rejects.toThrow();
    await expect(api.files.read({ workspace: workspace.id, path: 'x'.repeat(5000) })).rejects.toThrow();
  });

  it('streams setup progress on workspaces.events', async () => {
    const { api, repo } = await setup();
    await api.projects.register({ path: repo });
    // Breaking out of the loop ends the generator, which unsubscribes from the bus.
    const stream = await api.workspaces.events();
    const seen: WorkspaceStreamEvent[] = [];
    const done = (async () => {
      for await (const event of stream as AsyncIterable<WorkspaceStreamEvent>) {
        seen.push(event);
        if (event.type === 'hook' && event.event.type === 'exited') break;
      }
    })();
    await api.workspaces.create({ project: 'app', branch: 'streamed' });
    await done;
    expect(seen.map((e) => (e.type === 'hook' ? `hook:${e.event.type}` : e.type))).toEqual(
      expect.arrayContaining(['changed', 'hook:started', 'hook:output', 'hook:exited']),
    );
    const output = seen
      .flatMap((e) => (e.type === 'hook' && e.event.type === 'output' ? [e.event.chunk] : []))
      .join('');
    expect(output).toContain('setting up');
  });

  it(
    'workspaces.create with a prompt starts a chat in the new worktree once setup settled, ' +
      'and its edit shows in changes',
    async () => {
      const { api, repo, settings } = await setup({ env: fakeAgentEnv({ writeFile: 'from-agent.txt' }) });
      await settings.update((s) => ({
        ...s,
        codingAgents: [{ id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: fakeAgentPath() }],
        defaultCodingAgent: 'claude-code',
      }));
      await api.projects.register({ path: repo });
      const { workspace } = await api.workspaces.create({
        project: 'app',
        branch: 'feat/agent',
        prompt: 'Write a file',
        mode: 'edit',
      });
      expect(workspace.initialRequest).toMatchObject({ prompt: 'Write a file', mode: 'edit' });
      await vi.waitFor(
        async () => {
          const status = await api.changes.status({ workspace: workspace.id });
          expect(status.files.map((f) => f.path)).toContain('from-agent.txt');
        },
        { timeout: 20_000, interval: 100 },
      );
      const chats = await api.chats.list({ workspaceId: workspace.id });
      expect(chats).toHaveLength(1);
      expect(chats[0]).toMatchObject({ mode: 'edit' });
      // Removing the workspace first stops its agents (before-remove hook), then deletes the worktree.
      await api.workspaces.remove({ workspace: workspace.id });
      expect(existsSync(workspace.path)).toBe(false);
    },
  );
});
