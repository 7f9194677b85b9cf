// `api.callerFor(principal)`: what @band/server renders a page with (the dashboard's first HTML carries the
// workspace list). It must be the API as that principal, not a back door: the same procedures, the same refusals.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Principal } from '@band/auth';
import { createTestGate } from '@band/auth/testing';
import { afterEach, expect, it } from 'vitest';
import { createBandApi } from '../src/create-band-api.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startApi() {
  const testGate = await createTestGate();
  cleanups.push(() => testGate.close());
  const api = await createBandApi({ home: testGate.home, settings: testGate.settings, gate: testGate.gate });
  cleanups.push(() => api.close());
  const path = join(testGate.home, 'repos', 'app');
  mkdirSync(path, { recursive: true });
  const project = api.services.store.projects.create({ name: 'app', path, defaultBranch: 'main' });
  api.services.store.workspaces.create({
    projectId: project.id,
    branch: 'feat',
    baseBranch: 'main',
    path,
    status: 'ready',
  });
  return { api, settings: testGate.settings };
}

const laptop: Principal = { kind: 'session', listener: 'local', sessionId: 'sess_laptop' };
const phone: Principal = { kind: 'session', listener: 'tunnel', sessionId: 'sess_phone' };

it('reads the lists and statuses a page is rendered with, as the principal', async () => {
  const { api } = await startApi();
  for (const principal of [laptop, phone]) {
    const caller = api.callerFor(principal);
    expect((await caller.projects.list()).map((p) => p.name)).toEqual(['app']);
    expect((await caller.workspaces.list()).map((w) => [w.branch, w.projectName])).toEqual([['feat', 'app']]);
    expect((await caller.chats.statusList()).map((s) => s.status)).toEqual(['waiting']);
  }
  // A finished, unread turn: what the page shows on the workspace's row before the subscription starts.
  const { store } = api.services;
  const [workspace] = store.workspaces.list();
  store.chats.update(store.chats.create({ workspaceId: workspace!.id, agentId: 'fake' }).id, { status: 'done' });
  for (const principal of [laptop, phone]) {
    expect(await api.callerFor(principal).chats.statusList()).toEqual([{ workspaceId: workspace!.id, status: 'done' }]);
  }
});

it('refuses what the principal may not do, as over HTTP (a phone may not move the port)', async () => {
  const { api, settings } = await startApi();
  const before = settings.get().webServerPort;
  await expect(api.callerFor(phone).settings.set({ key: 'webServerPort', value: 4444 })).rejects.toMatchObject({
    code: 'FORBIDDEN',
  });
  expect(settings.get().webServerPort).toBe(before);
  // The same call as the laptop's session is allowed: the refusal is the principal's, not the caller's.
  await api.callerFor(laptop).settings.set({ key: 'webServerPort', value: 4444 });
  expect(settings.get().webServerPort).toBe(4444);
  await expect(api.callerFor(undefined as unknown as Principal).projects.list()).rejects.toMatchObject({
    code: 'UNAUTHORIZED',
  });
});
