import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openStore, StoreError } from '../src/index.js';
import { seedChat, tempDir, tempStore } from './helpers.js';

describe('projects', () => {
  it('creates, finds by id / name / path / id prefix, lists by name and removes', () => {
    const store = tempStore({ now: () => Date.UTC(2026, 0, 2) });
    const b = store.projects.create({ name: 'beta', path: '/r/beta', defaultBranch: 'main' });
    const a = store.projects.create({ name: 'alpha', path: '/r/alpha', defaultBranch: 'trunk' });
    expect(a.id).toMatch(/^prj_[a-z0-9]{12}$/);
    expect(a.createdAt).toBe('2026-01-02T00:00:00.000Z');
    expect(store.projects.get(a.id)).toEqual(a);
    expect(store.projects.getByName('beta')).toEqual(b);
    expect(store.projects.getByPath('/r/alpha')).toEqual(a);
    expect(store.projects.list().map((p) => p.name)).toEqual(['alpha', 'beta']);
    expect(store.projects.findByIdPrefix(a.id.slice(0, 8)).map((p) => p.id)).toContain(a.id);
    expect(store.projects.update(a.id, { defaultBranch: 'main' })?.defaultBranch).toBe('main');
    expect(store.projects.remove(a.id)).toBe(true);
    expect(store.projects.remove(a.id)).toBe(false);
    expect(store.projects.get(a.id)).toBeUndefined();
  });

  it('refuses a duplicate name with CONFLICT', () => {
    const store = tempStore();
    store.projects.create({ name: 'app', path: '/r/1', defaultBranch: 'main' });
    expect(() => store.projects.create({ name: 'app', path: '/r/2', defaultBranch: 'main' })).toThrow(
      expect.objectContaining({ code: 'CONFLICT' }),
    );
  });

  it('treats LIKE wildcards in an id prefix literally', () => {
    const store = tempStore();
    store.projects.create({ name: 'app', path: '/r/1', defaultBranch: 'main' });
    expect(store.projects.findByIdPrefix('%')).toEqual([]);
    expect(store.projects.findByIdPrefix('prj_')).toHaveLength(1);
    expect(store.projects.findByIdPrefix('prj%')).toEqual([]);
  });

  it('removing a project cascades to its workspaces, chats, turns and events', () => {
    const store = tempStore();
    const { project, workspace, chat } = seedChat(store);
    const turn = store.turns.create({ chatId: chat.id, prompt: 'hi' });
    store.chatEvents.append(chat.id, turn.id, { type: 'text-delta', text: 'x' });
    store.projects.remove(project.id);
    expect(store.workspaces.get(workspace.id)).toBeUndefined();
    expect(store.chats.get(chat.id)).toBeUndefined();
    expect(store.turns.get(turn.id)).toBeUndefined();
    expect(store.chatEvents.listAfter(chat.id, 0)).toEqual([]);
  });
});

describe('workspaces', () => {
  it('stores branch, base, path, setup fields and the initial request', () => {
    let t = 1_000;
    const store = tempStore({ now: () => t });
    const project = store.projects.create({ name: 'app', path: '/r/app', defaultBranch: 'main' });
    const ws = store.workspaces.create({
      projectId: project.id,
      branch: 'feat/ünïcode name',
      baseBranch: 'main',
      path: '/wt/app/feat/ünïcode name',
      initialRequest: { prompt: 'add a README', agent: 'claude-code', mode: 'edit' },
    });
    expect(ws).toMatchObject({
      status: 'creating',
      setupStatus: 'none',
      setupOutput: '',
      setupExitCode: null,
      activeChatId: null,
    });
    expect(ws.initialRequest).toEqual({ prompt: 'add a README', agent: 'claude-code', mode: 'edit' });
    expect(store.workspaces.getByBranch(project.id, 'feat/ünïcode name')?.id).toBe(ws.id);
    expect(store.workspaces.getByPath('/wt/app/feat/ünïcode name')?.id).toBe(ws.id);

    t = 2_000;
    const updated = store.workspaces.update(ws.id, {
      status: 'ready',
      setupStatus: 'failed',
      setupOutput: 'npm ERR!',
      setupExitCode: 1,
      initialRequest: null,
    });
    expect(updated).toMatchObject({
      status: 'ready',
      setupStatus: 'failed',
      setupOutput: 'npm ERR!',
      setupExitCode: 1,
      initialRequest: null,
    });
    expect(updated?.updatedAt).toBe(new Date(2_000).toISOString());
    expect(updated?.createdAt).toBe(new Date(1_000).toISOString());
    expect(store.workspaces.update('ws_missing', { status: 'ready' })).toBeUndefined();
  });

  it('refuses a second workspace on the same project branch with CONFLICT', () => {
    const store = tempStore();
    const { project } = seedChat(store);
    expect(() =>
      store.workspaces.create({ projectId: project.id, branch: 'feat/x', baseBranch: 'main', path: '/other' }),
    ).toThrow(expect.objectContaining({ code: 'CONFLICT' }));
  });

  it('lists all workspaces or one project’s, oldest first', () => {
    const store = tempStore();
    const a = seedChat(store, 'a');
    const b = seedChat(store, 'b');
    expect(store.workspaces.list().map((w) => w.id)).toEqual([a.workspace.id, b.workspace.id]);
    expect(store.workspaces.list(b.project.id).map((w) => w.id)).toEqual([b.workspace.id]);
  });

  it('ignores unknown patch keys instead of building SQL from them', () => {
    const store = tempStore();
    const { workspace } = seedChat(store);
    const patch = { status: 'ready', 'branch = 1; --': 'x' } as never;
    expect(store.workspaces.update(workspace.id, patch)?.status).toBe('ready');
  });
});

describe('chats and turns', () => {
  it('creates a chat with defaults and updates agent session, status and active chat', () => {
    const store = tempStore();
    const { workspace, chat } = seedChat(store);
    expect(chat).toMatchObject({
      agentId: 'claude-code',
      model: null,
      mode: null,
      agentSessionId: null,
      title: '',
      status: 'waiting',
      lastSeq: 0,
    });
    expect(chat.id).toMatch(/^chat_/);
    const next = store.chats.update(chat.id, { agentSessionId: 'sess-1', status: 'working', title: 'Fix tests' });
    expect(next).toMatchObject({ agentSessionId: 'sess-1', status: 'working', title: 'Fix tests' });
    store.workspaces.update(workspace.id, { activeChatId: chat.id });
    expect(store.chats.list(workspace.id).map((c) => c.id)).toEqual([chat.id]);
    expect(store.chats.findByIdPrefix('chat_')).toHaveLength(1);
    expect(store.chats.remove(chat.id)).toBe(true);
  });

  it('runs one turn per chat at a time: startNext takes the oldest queued turn only when none runs', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    const first = store.turns.create({ chatId: chat.id, prompt: 'one' });
    const second = store.turns.create({ chatId: chat.id, prompt: 'two' });
    expect(first.status).toBe('queued');

    const started = store.turns.startNext(chat.id);
    expect(started).toMatchObject({ id: first.id, status: 'running' });
    expect(started?.startedAt).not.toBeNull();
    expect(store.turns.startNext(chat.id)).toBeUndefined();
    expect(store.turns.running(chat.id)?.id).toBe(first.id);
    expect(store.turns.queued(chat.id).map((t) => t.id)).toEqual([second.id]);

    const done = store.turns.finish(first.id, 'done', { costUsd: 0.01, durationMs: 1200, numTurns: 3 });
    expect(done).toMatchObject({ status: 'done', costUsd: 0.01, durationMs: 1200, numTurns: 3 });
    expect(done?.finishedAt).not.toBeNull();
    expect(store.turns.finish(first.id, 'failed')).toBeUndefined();

    expect(store.turns.startNext(chat.id)?.id).toBe(second.id);
    expect(store.turns.list(chat.id).map((t) => t.prompt)).toEqual(['one', 'two']);
  });

  it('startNext skips the turns a paused queue holds', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    const held = store.turns.create({ chatId: chat.id, prompt: 'held' });
    const next = store.turns.create({ chatId: chat.id, prompt: 'next' });
    expect(store.turns.startNext(chat.id, new Set([held.id]))?.id).toBe(next.id);
    store.turns.finish(next.id, 'done');
    expect(store.turns.startNext(chat.id, new Set([held.id]))).toBeUndefined();
    expect(store.turns.startNext(chat.id, new Set())?.id).toBe(held.id);
  });

  it('marks turns interrupted by a restart as failed (and queued ones aborted on request)', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    const a = store.turns.create({ chatId: chat.id, prompt: 'a' });
    const b = store.turns.create({ chatId: chat.id, prompt: 'b' });
    store.turns.startNext(chat.id);
    expect(store.turns.failInterrupted('server restarted', { includeQueued: true }).sort()).toEqual(
      [a.id, b.id].sort(),
    );
    expect(store.turns.get(a.id)).toMatchObject({ status: 'failed', error: 'server restarted' });
    expect(store.turns.get(b.id)).toMatchObject({ status: 'aborted' });
  });

  it('refuses a turn for an unknown chat', () => {
    const store = tempStore();
    expect(() => store.turns.create({ chatId: 'chat_nope', prompt: 'x' })).toThrow(StoreError);
  });
});

describe('chatEvents', () => {
  it('assigns seq 1, 2, 3… per chat and returns events after a seq in order', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    const turn = store.turns.create({ chatId: chat.id, prompt: 'x' });
    expect(store.chatEvents.append(chat.id, turn.id, { type: 'session-start', sessionId: 's' })).toBe(1);
    expect(store.chatEvents.append(chat.id, turn.id, { type: 'text-delta', text: 'héllo ✓' })).toBe(2);
    expect(store.chatEvents.appendMany(chat.id, null, [{ type: 'a' }, { type: 'b' }])).toEqual([3, 4]);
    expect(store.chatEvents.lastSeq(chat.id)).toBe(4);
    expect(store.chats.get(chat.id)?.lastSeq).toBe(4);

    const after1 = store.chatEvents.listAfter(chat.id, 1);
    expect(after1.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(after1[0]).toMatchObject({
      chatId: chat.id,
      turnId: turn.id,
      type: 'text-delta',
      event: { type: 'text-delta', text: 'héllo ✓' },
    });
    expect(store.chatEvents.listAfter(chat.id, 0, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(store.chatEvents.listAfter(chat.id, 4)).toEqual([]);
    expect(store.chatEvents.listByTurn(turn.id).map((e) => e.seq)).toEqual([1, 2]);
    expect(store.chatEvents.appendMany(chat.id, null, [])).toEqual([]);
  });

  it('appendRecords returns each event exactly as listAfter reads it back, createdAt included', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    const turn = store.turns.create({ chatId: chat.id, prompt: 'x' });
    store.chatEvents.append(chat.id, turn.id, { type: 'session-start' });
    const records = store.chatEvents.appendRecords(chat.id, turn.id, [
      { type: 'text-delta', text: 'a "b" ✓' },
      { type: 'tool-result', output: 'x\n'.repeat(3) },
    ]);
    expect(records.map((r) => r.seq)).toEqual([2, 3]);
    expect(JSON.parse(JSON.stringify(records))).toEqual(store.chatEvents.listAfter(chat.id, 1));
    expect(store.chatEvents.appendRecords(chat.id, null, [])).toEqual([]);
  });

  it('keeps seq strictly monotonic per chat under interleaved appends from two connections', () => {
    const file = join(tempDir(), 'band.db');
    const one = openStore(file);
    const two = openStore(file);
    try {
      const a = seedChat(one, 'a').chat;
      const b = seedChat(one, 'b').chat;
      const got: Record<string, number[]> = { [a.id]: [], [b.id]: [] };
      for (let i = 0; i < 200; i++) {
        const writer = i % 2 === 0 ? one : two;
        const chat = i % 3 === 0 ? b : a;
        got[chat.id]!.push(writer.chatEvents.append(chat.id, null, { type: 'tick', i }));
      }
      for (const [chatId, seqs] of Object.entries(got)) {
        expect(seqs).toEqual(seqs.map((_, i) => i + 1));
        const stored = two.chatEvents.listAfter(chatId, 0, 5_000);
        expect(stored.map((e) => e.seq)).toEqual(seqs);
      }
    } finally {
      one.close();
      two.close();
    }
  });

  it('appends inside an outer store.transaction continue the same sequence', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    store.chatEvents.append(chat.id, null, { type: 'x' });
    store.transaction(() => store.chatEvents.append(chat.id, null, { type: 'y' }));
    expect(store.chatEvents.append(chat.id, null, { type: 'z' })).toBe(3);
  });

  it('rolls back the whole batch when one event is invalid', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    expect(() => store.chatEvents.appendMany(chat.id, null, [{ type: 'ok' }, { nope: true } as never])).toThrow(
      TypeError,
    );
    expect(store.chatEvents.lastSeq(chat.id)).toBe(0);
    expect(store.chatEvents.listAfter(chat.id, 0)).toEqual([]);
  });

  it('refuses events for an unknown chat with REFERENCE_MISSING', () => {
    const store = tempStore();
    expect(() => store.chatEvents.append('chat_nope', null, { type: 'x' })).toThrow(
      expect.objectContaining({ code: 'REFERENCE_MISSING' }),
    );
  });

  it('pages backwards from the end with listBefore: newest window, oldest first, no gap or overlap', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    store.chatEvents.appendMany(
      chat.id,
      null,
      Array.from({ length: 12 }, (_, i) => ({ type: 't', i })),
    );
    const last = store.chatEvents.listBefore(chat.id, store.chatEvents.lastSeq(chat.id) + 1, 5);
    expect(last.map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(last[0]).toMatchObject({ chatId: chat.id, type: 't', event: { type: 't', i: 7 } });
    const seen: number[] = [];
    for (let page = last; page.length > 0; page = store.chatEvents.listBefore(chat.id, page[0]!.seq, 5))
      seen.unshift(...page.map((e) => e.seq));
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(store.chatEvents.listBefore(chat.id, Number.POSITIVE_INFINITY, 2).map((e) => e.seq)).toEqual([11, 12]);
    expect(store.chatEvents.listBefore(chat.id, 1)).toEqual([]);
    expect(store.chatEvents.listBefore(chat.id, Number.NaN)).toEqual([]);
    expect(store.chatEvents.listBefore(chat.id, 3.2, 0).map((e) => e.seq)).toEqual([3]);
    expect(store.chatEvents.listBefore('chat_nope', 100)).toEqual([]);
  });

  it('reads a backward page through the primary key, without a sort', () => {
    const store = tempStore();
    const db = new Database(store.file, { readonly: true });
    const plan = db
      .prepare("EXPLAIN QUERY PLAN SELECT * FROM chat_events WHERE chat_id = 'c' AND seq < 9 ORDER BY seq DESC LIMIT 5")
      .all() as Array<{ detail: string }>;
    const details = plan.map((r) => r.detail).join('\n');
    expect(details).toMatch(/USING PRIMARY KEY/);
    expect(details).not.toMatch(/TEMP B-TREE/);
    db.close();
  });

  it('clamps hostile paging arguments', () => {
    const store = tempStore();
    const { chat } = seedChat(store);
    store.chatEvents.appendMany(
      chat.id,
      null,
      Array.from({ length: 5 }, () => ({ type: 't' })),
    );
    expect(store.chatEvents.listAfter(chat.id, -10, 0)).toHaveLength(1);
    expect(store.chatEvents.listAfter(chat.id, Number.NaN, 2).map((e) => e.seq)).toEqual([1, 2]);
    expect(store.chatEvents.listAfter(chat.id, 2.7, Number.POSITIVE_INFINITY).map((e) => e.seq)).toEqual([3, 4, 5]);
  });
});
