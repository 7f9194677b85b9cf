// Resume over a real tRPC WebSocket: a subscriber that loses its socket mid-turn and reconnects with its last
// event id receives every event exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatEventEnvelope } from '../src/chats/chat-types.js';
import { type ChatFixture, createChatFixture, waitForTurn } from './chats-fixtures.js';
import { chatsClient, serveChats } from './chats-ws-server.js';
import { waitFor } from './helpers.js';

let fixture: ChatFixture | undefined;
let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  await fixture?.[Symbol.asyncDispose]();
  fixture = undefined;
});

describe('chats.events over WebSocket', () => {
  it(
    'a subscriber whose socket drops mid-turn reconnects with its ' + 'last id and gets every event exactly once',
    async () => {
      fixture = await createChatFixture();
      fixture.fake = { scenario: 'slow', events: 60, delayMs: 10 };
      const { url, wss } = await serveChats(fixture, cleanup);
      const { trpc } = chatsClient(url, cleanup);
      const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });

      const received: ChatEventEnvelope[] = [];
      const ids: string[] = [];
      let dropped = false;
      const sub = trpc.chats.events.subscribe(
        { chatId: chat.id },
        {
          onData(tracked) {
            ids.push(tracked.id);
            received.push(tracked.data as ChatEventEnvelope);
            if (!dropped && received.length === 15) {
              dropped = true;
              for (const socket of wss.clients) socket.terminate(); // the phone went to sleep
            }
          },
        },
      );
      cleanup.push(() => sub.unsubscribe());
      const { turn } = fixture.chats.send({ chatId: chat.id, message: 'stream please' });
      await waitForTurn(fixture, turn.id);
      const last = fixture.store.chatEvents.lastSeq(chat.id);
      await waitFor(() => expect(received.at(-1)?.seq).toBe(last), { timeout: 10_000 });

      expect(dropped).toBe(true);
      expect(received.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      expect(ids).toEqual(received.map((e) => String(e.seq)));
      expect(received.at(-1)!.event).toMatchObject({ type: 'turn-end', status: 'done' });
    },
  );

  it('a new client that passes lastEventId gets only what it missed', async () => {
    fixture = await createChatFixture();
    const { url } = await serveChats(fixture, cleanup);
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'one' }).turn.id);
    const last = fixture.store.chatEvents.lastSeq(chat.id);
    const { trpc } = chatsClient(url, cleanup);
    const received: number[] = [];
    const sub = trpc.chats.events.subscribe(
      { chatId: chat.id, lastEventId: String(last - 3) },
      { onData: (t) => received.push(Number(t.id)) },
    );
    cleanup.push(() => sub.unsubscribe());
    await waitFor(() => expect(received).toEqual([last - 2, last - 1, last]));
    // Then live: a second turn arrives on the same subscription.
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'two' }).turn.id);
    const end = fixture.store.chatEvents.lastSeq(chat.id);
    await waitFor(() => expect(received.at(-1)).toBe(end));
    expect(received).toEqual(Array.from({ length: end - last + 3 }, (_, i) => last - 2 + i));
  });

  it('a garbage lastEventId means "from the start", and an unknown chat is an error for the subscriber', async () => {
    fixture = await createChatFixture();
    const { url } = await serveChats(fixture, cleanup);
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'one' }).turn.id);
    const { trpc } = chatsClient(url, cleanup);
    const received: number[] = [];
    const sub = trpc.chats.events.subscribe(
      { chatId: chat.id, lastEventId: '-5; DROP TABLE' },
      { onData: (t) => received.push(Number(t.id)) },
    );
    cleanup.push(() => sub.unsubscribe());
    await waitFor(() => expect(received[0]).toBe(1));
    const error = await new Promise<Error>((resolve) => {
      const bad = trpc.chats.events.subscribe({ chatId: 'chat_missing' }, { onError: resolve });
      cleanup.push(() => bad.unsubscribe());
    });
    expect(error.message).toMatch(/chat not found/);
  });

  it('chats.statuses streams workspace agent status', async () => {
    fixture = await createChatFixture();
    const { url } = await serveChats(fixture, cleanup);
    const { trpc } = chatsClient(url, cleanup);
    const seen: string[] = [];
    const sub = trpc.chats.statuses.subscribe(undefined, { onData: (s) => seen.push(`${s.workspaceId}:${s.status}`) });
    cleanup.push(() => sub.unsubscribe());
    const ws = fixture.workspace.id;
    await waitFor(() => expect(seen).toEqual([`${ws}:waiting`]));
    const chat = fixture.chats.create({ workspaceId: ws });
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'x' }).turn.id);
    await waitFor(() => expect(seen).toEqual([`${ws}:waiting`, `${ws}:working`, `${ws}:done`]));
  });
});
