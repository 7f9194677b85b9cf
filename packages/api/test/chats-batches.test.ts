// Batched fan-out (chats.eventBatches): many events per WebSocket frame, in seq order, each exactly once, with
// resume after a dropped socket, and each envelope encoded once however many sockets it goes to.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChatEventEnvelope } from '../src/chats/chat-types.js';
import { approximateJsonChars } from '../src/chats/chat-stream.js';
import { encodeOnce, PreEncodedJson, preEncodedJsonEncoder, preEncodedList } from '../src/internal/pre-encoded.js';
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

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('chats.eventBatches over WebSocket', () => {
  it('a flood reaches every subscriber in far fewer frames than events, ' +
    'each event once and in order, tracked by the last seq', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'flood', events: 3_000 };
    const { url, frames } = await serveChats(fixture, cleanup);
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const { trpc } = chatsClient(url, cleanup);
    const subscribers = Array.from({ length: 5 }, () => ({
      seqs: [] as number[],
      ids: [] as string[],
      lastOfBatch: [] as number[],
    }));
    let started = 0;
    for (const s of subscribers) {
      const sub = trpc.chats.eventBatches.subscribe(
        { chatId: chat.id },
        {
          onStarted: () => started++,
          onData(tracked) {
            s.ids.push(tracked.id);
            const events = tracked.data.events as ChatEventEnvelope[];
            expect(events.length).toBeGreaterThan(0);
            s.seqs.push(...events.map((e) => e.seq));
            s.lastOfBatch.push(events.at(-1)!.seq);
          },
        },
      );
      cleanup.push(() => sub.unsubscribe());
    }
    await waitFor(() => expect(started).toBe(subscribers.length));
    const { turn } = fixture.chats.send({ chatId: chat.id, message: 'flood' });
    await waitForTurn(fixture, turn.id, 60_000);
    const last = fixture.store.chatEvents.lastSeq(chat.id);
    expect(last).toBeGreaterThan(3_000);
    await waitFor(() => expect(subscribers.map((s) => s.seqs.at(-1))).toEqual(subscribers.map(() => last)), {
      timeout: 30_000,
    });
    for (const s of subscribers) {
      expect(s.seqs).toEqual(range(1, last));
      expect(s.ids).toEqual(s.lastOfBatch.map(String));
    }
    // One frame per event per socket would be 5 × 3,000+; batching sends a small fraction of that.
    expect(frames.count).toBeLessThan((subscribers.length * last) / 4);
    // The batches carry exactly what is stored.
    const stored = fixture.store.chatEvents.listAfter(chat.id, 0, 5_000);
    expect(stored.map((e) => e.seq)).toEqual(range(1, last));
  }, 90_000);

  it('a subscriber whose socket drops mid-flood resumes after the last batch it saw: ' +
    'nothing lost, nothing twice', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'slow', events: 300, delayMs: 2 };
    const { url, wss } = await serveChats(fixture, cleanup);
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    const { trpc } = chatsClient(url, cleanup);
    const seqs: number[] = [];
    let drops = 0;
    const sub = trpc.chats.eventBatches.subscribe(
      { chatId: chat.id },
      {
        onData(tracked) {
          seqs.push(...(tracked.data.events as ChatEventEnvelope[]).map((e) => e.seq));
          if (seqs.length > 50 * (drops + 1) && drops < 4) {
            drops++;
            for (const socket of wss.clients) socket.terminate();
          }
        },
      },
    );
    cleanup.push(() => sub.unsubscribe());
    const { turn } = fixture.chats.send({ chatId: chat.id, message: 'go' });
    await waitForTurn(fixture, turn.id, 60_000);
    const last = fixture.store.chatEvents.lastSeq(chat.id);
    await waitFor(() => expect(seqs.at(-1)).toBe(last), { timeout: 30_000 });
    expect(drops).toBe(4);
    expect(seqs).toEqual(range(1, last));
  }, 90_000);

  it(
    'a new client passing lastEventId gets only what it missed, as batches; ' +
      'chats.events still sends one event per frame',
    async () => {
      fixture = await createChatFixture();
      const { url } = await serveChats(fixture, cleanup);
      const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
      await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'one' }).turn.id);
      const last = fixture.store.chatEvents.lastSeq(chat.id);
      const { trpc } = chatsClient(url, cleanup);
      const batched: number[] = [];
      const single: Array<{ id: string; seq: number }> = [];
      const a = trpc.chats.eventBatches.subscribe(
        { chatId: chat.id, lastEventId: String(last - 3) },
        { onData: (t) => batched.push(...t.data.events.map((e) => e.seq)) },
      );
      const b = trpc.chats.events.subscribe(
        { chatId: chat.id, lastEventId: String(last - 3) },
        { onData: (t) => single.push({ id: t.id, seq: t.data.seq }) },
      );
      cleanup.push(
        () => a.unsubscribe(),
        () => b.unsubscribe(),
      );
      await waitFor(() => expect(batched).toEqual([last - 2, last - 1, last]));
      await waitFor(() => expect(single).toEqual(range(last - 2, last).map((seq) => ({ id: String(seq), seq }))));
    },
  );
});

describe('live events equal stored events', () => {
  it(
    'a live subscriber receives each envelope exactly as the history returns it, createdAt included (soak: ' +
      'disconnect storm)',
    async () => {
      // band.db's clock is pinned in the past: an envelope stamped at publish time instead of read from the store
      // would differ from the stored one on every event.
      fixture = await createChatFixture({ storeNow: () => Date.parse('2020-01-02T03:04:05.678Z') });
      fixture.fake = { scenario: 'slow', events: 20, delayMs: 1 };
      const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
      const controller = new AbortController();
      const live: ChatEventEnvelope[] = [];
      const iterator = fixture.chats.subscribeBatches({ chatId: chat.id }, controller.signal);
      const first = iterator.next();
      const { turn } = fixture.chats.send({ chatId: chat.id, message: 'go' });
      for (let next = await first; !next.done; next = await iterator.next()) {
        live.push(...next.value);
        if (live.at(-1)?.type === 'turn-end') break;
      }
      controller.abort();
      await waitForTurn(fixture, turn.id);
      const stored = fixture.store.chatEvents.listAfter(chat.id, 0, 5_000);
      expect(live.length).toBe(stored.length);
      expect(JSON.parse(JSON.stringify(live))).toEqual(stored);
      expect(live[0]!.createdAt).toBe('2020-01-02T03:04:05.678Z');
    },
  );
});

describe('subscribeBatches limits', () => {
  it('splits a backlog by event count and by size, and never splits or drops a single large event', async () => {
    fixture = await createChatFixture();
    fixture.fake = { scenario: 'large', bytes: 6 * 64 * 1024 };
    const chat = fixture.chats.create({ workspaceId: fixture.workspace.id });
    await waitForTurn(fixture, fixture.chats.send({ chatId: chat.id, message: 'big' }).turn.id);
    const last = fixture.store.chatEvents.lastSeq(chat.id);
    const collect = async (limits: { maxEvents?: number; maxChars?: number }) => {
      const controller = new AbortController();
      const batches: ChatEventEnvelope[][] = [];
      for await (const batch of fixture!.chats.subscribeBatches({ chatId: chat.id }, controller.signal, limits)) {
        batches.push(batch);
        if (batch.at(-1)!.seq === last) controller.abort();
      }
      return batches;
    };
    const byCount = await collect({ maxEvents: 2 });
    expect(byCount.flat().map((e) => e.seq)).toEqual(range(1, last));
    expect(byCount.every((b) => b.length <= 2)).toBe(true);
    // 64 KiB texts with a 100 KiB cap: a batch closes once it passes the cap, so at most two big texts each.
    const bySize = await collect({ maxChars: 100 * 1024 });
    expect(bySize.flat().map((e) => e.seq)).toEqual(range(1, last));
    for (const batch of bySize) {
      const big = batch.filter((e) => approximateJsonChars(e) > 64 * 1024);
      expect(big.length).toBeLessThanOrEqual(2);
    }
    const tiny = await collect({ maxChars: 1 });
    expect(tiny.every((b) => b.length === 1)).toBe(true);
    expect(tiny.length).toBe(last);
  }, 60_000);
});

describe('pre-encoded JSON', () => {
  it('splices each envelope in exactly as JSON.stringify would write it, escapes and all', () => {
    const items = [
      { seq: 1, text: 'quotes " and \\ backslash, </script>, \u2028 line sep, emoji 🎸, NUL \u0000' },
      { seq: 2, nested: { a: [1, null, true], b: 'x' } },
    ];
    const message = { id: 7, jsonrpc: '2.0', result: { type: 'data', id: '2', data: preEncodedList('events', items) } };
    const encoded = preEncodedJsonEncoder.encode(message) as string;
    expect(JSON.parse(encoded)).toEqual({
      id: 7,
      jsonrpc: '2.0',
      result: { type: 'data', id: '2', data: { events: items } },
    });
    expect(encoded).toBe(JSON.stringify({ ...message, result: { ...message.result, data: { events: items } } }));
  });

  it('event text cannot forge the splice marker, and any other serialiser gets the plain value', () => {
    // Whatever an agent prints is data: text shaped like a marker stays text.
    const forged = { seq: 1, text: '"\\u0000band-pre-encoded-00000000-0000-0000-0000-000000000000\\u0000"' };
    const data = preEncodedList('events', [forged]);
    const message = { result: { data, echo: forged.text } };
    expect(JSON.parse(preEncodedJsonEncoder.encode(message) as string)).toEqual({
      result: { data: { events: [forged] }, echo: forged.text },
    });
    expect(JSON.parse(JSON.stringify(message))).toEqual({ result: { data: { events: [forged] }, echo: forged.text } });
    expect(new PreEncodedJson('[1,2]').toJSON()).toEqual([1, 2]);
  });

  it('encodes a shared envelope once, whatever the number of batches it is in', () => {
    const envelope = { seq: 1, event: { type: 'text-delta', text: 'hi' } };
    const stringify = vi.spyOn(JSON, 'stringify');
    try {
      const first = encodeOnce(envelope);
      const calls = stringify.mock.calls.length;
      expect(calls).toBe(1);
      for (let i = 0; i < 50; i++) expect(encodeOnce(envelope)).toBe(first);
      expect(stringify.mock.calls.length).toBe(calls);
    } finally {
      stringify.mockRestore();
    }
  });
});
