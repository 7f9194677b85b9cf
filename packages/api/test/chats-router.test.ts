import { afterEach, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context.js';
import { createCaller } from '../src/root.js';
import type { Services } from '../src/create-services.js';
import { type ChatFixture, createChatFixture, waitForTurn } from './chats-fixtures.js';

let fixture: ChatFixture | undefined;
afterEach(async () => {
  await fixture?.[Symbol.asyncDispose]();
  fixture = undefined;
});

function caller(f: ChatFixture, principal: unknown = { kind: 'root', listener: 'local' }) {
  const services = { chats: f.chats, events: f.events } as unknown as Services;
  return createCaller(createContextInner({ principal: principal as never, services }));
}

describe('chats router', () => {
  it('create, send, list and history through tRPC', async () => {
    fixture = await createChatFixture();
    const api = caller(fixture);
    const chat = await api.chats.create({ workspaceId: fixture.workspace.id, mode: 'edit', name: 'Pane 1' });
    expect(chat).toMatchObject({ agentId: 'claude-code', mode: 'edit', title: 'Pane 1', status: 'waiting' });
    const sent = await api.chats.send({ chatId: chat.id, message: 'hello' });
    await waitForTurn(fixture, sent.turn.id);
    expect((await api.chats.list({ workspaceId: fixture.workspace.id })).map((c) => c.id)).toEqual([chat.id]);
    const history = await api.chats.history({ chatId: chat.id, afterSeq: 0, limit: 3 });
    expect(history.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(history.lastSeq).toBeGreaterThan(3);
    expect(history.turns[0]).toMatchObject({ prompt: 'hello', status: 'done' });
    // Backwards: the newest page first, then the one before it; together they are the whole log, once each.
    const newest = await api.chats.history({ chatId: chat.id, beforeSeq: Number.MAX_SAFE_INTEGER, limit: 3 });
    expect(newest.events.map((e) => e.seq)).toEqual([history.lastSeq - 2, history.lastSeq - 1, history.lastSeq]);
    expect(newest.turns.map((t) => t.id)).toEqual([sent.turn.id]);
    const seen = newest.events.map((e) => e.seq);
    for (let page = newest; page.events.length > 0; ) {
      page = await api.chats.history({ chatId: chat.id, beforeSeq: page.events[0]!.seq, limit: 3 });
      seen.unshift(...page.events.map((e) => e.seq));
    }
    expect(seen).toEqual(Array.from({ length: history.lastSeq }, (_, i) => i + 1));
    expect(await api.chats.abort({ chatId: chat.id })).toEqual({
      abortedTurnId: null,
      clearedTurnIds: [],
      pausedTurnIds: [],
    });
    // Send now / discard of a paused queue: nothing is queued, so there is nothing to release, and a finished
    // turn cannot be discarded.
    expect(await api.chats.resume({ chatId: chat.id })).toEqual({ resumedTurnIds: [] });
    await expect(api.chats.discard({ chatId: chat.id, turnId: sent.turn.id })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
    });
    await expect(api.chats.discard({ chatId: chat.id, turnId: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('maps bad input and domain errors to tRPC codes', async () => {
    fixture = await createChatFixture();
    const api = caller(fixture);
    // Schema failures are refused before the service runs.
    await expect(api.chats.send({ message: 'x' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.chats.send({ chatId: 'c', message: '' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(
      api.chats.create({ workspaceId: fixture.workspace.id, mode: '--dangerously-skip-permissions' }),
    ).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.chats.history({ chatId: 'x', limit: 10_000 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(api.chats.history({ chatId: 'x', afterSeq: 1, beforeSeq: 5 })).rejects.toMatchObject({
      code: 'BAD_REQUEST',
    });
    expect(fixture.store.chats.list()).toEqual([]);
    await expect(api.chats.send({ chatId: 'chat_unknown', message: 'x' })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    fixture.store.workspaces.update(fixture.workspace.id, { status: 'creating' });
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    await expect(api.chats.send({ chatId: chat.id, message: 'x' })).rejects.toMatchObject({
      code: 'PRECONDITION_FAILED',
    });
  });

  it('refuses callers without a principal', async () => {
    fixture = await createChatFixture();
    await expect(caller(fixture, null).chats.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
});
