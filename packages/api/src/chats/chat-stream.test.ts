// The resumable subscription on its own, with an in-memory log instead of band.db: given what is stored, a resume
// point and what is appended while it runs, every event comes out once, in seq order, in batches within the limits.
import type { ChatEventRecord } from '@band/store';
import { describe, expect, it } from 'vitest';
import { type ChatBatchLimits, type ChatStreamDeps, streamChatEventBatches } from './chat-stream.js';

type Event = { type: 'text'; text: string };
type ChatRecord = ChatEventRecord<Event>;

const CHAT = 'chat-a';
const OTHER_CHAT = 'chat-b';

/** A chat log like band.db's: per-chat seq from 1, no gaps; `publish` is the bus (`chat.event`). */
function createMemoryLog() {
  const records: ChatRecord[] = [];
  const listeners = new Set<(record: ChatRecord) => void>();
  const lastSeq = new Map<string, number>();
  /** Runs inside the next `listAfter`, before or after the page is read (an append racing the backfill). */
  let onNextRead: { when: 'before' | 'after'; run(): void } | undefined;
  let reads = 0;

  const store = (chatId = CHAT): ChatRecord => {
    const seq = (lastSeq.get(chatId) ?? 0) + 1;
    lastSeq.set(chatId, seq);
    const record = { chatId, seq, turnId: 't1', type: 'text', event: { type: 'text', text: `${chatId}#${seq}` } };
    records.push({ ...record, createdAt: new Date(0).toISOString() } as ChatRecord);
    return records.at(-1)!;
  };
  const publish = (record: ChatRecord) => {
    for (const listener of listeners) listener(record);
  };
  const append = (count: number, chatId = CHAT) => {
    for (let i = 0; i < count; i++) publish(store(chatId));
  };
  const deps: ChatStreamDeps<Event> = {
    listAfter(chatId, afterSeq, limit) {
      reads++;
      const hook = onNextRead;
      if (hook?.when === 'before') {
        onNextRead = undefined;
        hook.run();
      }
      const page = records.filter((r) => r.chatId === chatId && r.seq > afterSeq).slice(0, limit);
      if (hook?.when === 'after') {
        onNextRead = undefined;
        hook.run();
      }
      return page;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    deps,
    store,
    append,
    listeners,
    get reads() {
      return reads;
    },
    raceNextRead(when: 'before' | 'after', run: () => void) {
      onNextRead = { when, run };
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

interface Scenario {
  name: string;
  /** Events stored before the subscription starts (seq 1..stored). */
  stored: number;
  afterSeq?: number;
  /** Appended and published during the first backfill read: before the page is read, or just after. */
  raceFirstRead?: { when: 'before' | 'after'; count: number };
  /** Once subscribed, in order: appended and published (`live`), stored but not published (`silent`, a missed
   * publish), or appended to another chat (`other`). */
  meanwhile?: Array<{ live: number } | { silent: number } | { other: number }>;
  limits?: ChatBatchLimits;
  liveBufferLimit?: number;
  /** The seqs yielded, in order. */
  expected: number[];
  /** The size of each batch, where the scenario is about batching. */
  batchSizes?: number[];
}

const scenarios: Scenario[] = [
  { name: 'a new subscriber gets the whole stored log', stored: 5, expected: range(1, 5), batchSizes: [5] },
  { name: 'resuming after seq 3 yields only what came after it', stored: 5, afterSeq: 3, expected: [4, 5] },
  {
    name: 'resuming at the last seq yields only what comes next',
    stored: 5,
    afterSeq: 5,
    meanwhile: [{ live: 2 }],
    expected: [6, 7],
  },
  {
    name: 'a resume point past the end waits for seqs after it',
    stored: 3,
    afterSeq: 5,
    meanwhile: [{ live: 4 }],
    expected: [6, 7],
  },
  { name: 'an empty chat goes straight to live', stored: 0, meanwhile: [{ live: 3 }], expected: [1, 2, 3] },
  { name: 'a negative resume point starts from the beginning', stored: 3, afterSeq: -4, expected: [1, 2, 3] },
  { name: 'a fractional resume point is rounded down', stored: 4, afterSeq: 2.7, expected: [3, 4] },
  { name: 'a NaN resume point starts from the beginning', stored: 2, afterSeq: Number.NaN, expected: [1, 2] },
  {
    name: 'events published before the backfill page is read come once (page and live buffer both hold them)',
    stored: 3,
    raceFirstRead: { when: 'before', count: 2 },
    expected: range(1, 5),
  },
  {
    name: 'events published just after the backfill page is read come from the live buffer, once',
    stored: 3,
    raceFirstRead: { when: 'after', count: 2 },
    expected: range(1, 5),
  },
  { name: 'stored, then live: one ordered stream', stored: 2, meanwhile: [{ live: 3 }], expected: range(1, 5) },
  {
    name: 'a live event after a gap is held back until the gap is read from the store',
    stored: 2,
    meanwhile: [{ silent: 2 }, { live: 2 }],
    expected: range(1, 6),
  },
  {
    name: "another chat's events are never yielded",
    stored: 2,
    meanwhile: [{ other: 3 }, { live: 1 }, { other: 1 }, { live: 1 }],
    expected: range(1, 4),
  },
  {
    name: 'a subscriber that falls behind past the live buffer reads the rest from the store',
    stored: 1,
    liveBufferLimit: 3,
    meanwhile: [{ live: 10 }],
    expected: range(1, 11),
  },
  {
    name: 'batches hold at most maxEvents',
    stored: 5,
    limits: { maxEvents: 2 },
    expected: range(1, 5),
    batchSizes: [2, 2, 1],
  },
  {
    name: 'live events queued together come as one batch, split by maxEvents',
    stored: 1,
    limits: { maxEvents: 3 },
    meanwhile: [{ live: 5 }],
    expected: range(1, 6),
    batchSizes: [1, 3, 2],
  },
  {
    name: 'a batch stops at maxChars but always holds one event',
    stored: 3,
    limits: { maxChars: 1 },
    expected: range(1, 3),
    batchSizes: [1, 1, 1],
  },
  {
    name: 'a backlog longer than one store page is read page by page',
    stored: 2_500,
    expected: range(1, 2_500),
    batchSizes: [1_000, 1_000, 500],
  },
];

describe('streamChatEventBatches', () => {
  it.each(scenarios)('$name', async (scenario) => {
    const log = createMemoryLog();
    for (let i = 0; i < scenario.stored; i++) log.store();
    if (scenario.raceFirstRead) {
      const { when, count } = scenario.raceFirstRead;
      log.raceNextRead(when, () => log.append(count));
    }
    const abort = new AbortController();
    const stream = streamChatEventBatches<Event>(
      { ...log.deps, liveBufferLimit: scenario.liveBufferLimit },
      { chatId: CHAT, afterSeq: scenario.afterSeq },
      abort.signal,
      scenario.limits,
    );
    // The first next() subscribes and backfills before it settles: what follows happens while it is subscribed.
    const first = stream.next();
    for (const step of scenario.meanwhile ?? []) {
      if ('live' in step) log.append(step.live);
      else if ('silent' in step) for (let i = 0; i < step.silent; i++) log.store();
      else log.append(step.other, OTHER_CHAT);
    }

    const batches: ChatRecord[][] = [];
    const seqs = () => batches.flat().map((r) => r.seq);
    const lastExpected = scenario.expected.at(-1);
    let result = await first;
    for (;;) {
      expect(result.done).toBe(false);
      batches.push(result.value as ChatRecord[]);
      if (seqs().at(-1) === lastExpected) break;
      result = await stream.next();
    }
    expect(seqs()).toEqual(scenario.expected);
    expect(batches.flat().every((r) => r.chatId === CHAT)).toBe(true);
    if (scenario.batchSizes) expect(batches.map((b) => b.length)).toEqual(scenario.batchSizes);

    // Nothing else was waiting: the next event appended is the next thing yielded (no duplicate, no stray).
    log.append(1);
    const next = await stream.next();
    expect((next.value as ChatRecord[]).map((r) => r.seq)).toEqual([lastExpected! + 1]);

    abort.abort();
    expect((await stream.next()).done).toBe(true);
    expect(log.listeners.size).toBe(0);
  });

  it('subscribes before reading the store, so nothing appended in between is lost', async () => {
    const log = createMemoryLog();
    log.store();
    let listenersAtFirstRead = -1;
    log.raceNextRead('before', () => {
      listenersAtFirstRead = log.listeners.size;
    });
    const abort = new AbortController();
    const stream = streamChatEventBatches<Event>(log.deps, { chatId: CHAT }, abort.signal);
    await stream.next();
    expect(listenersAtFirstRead).toBe(1);
    abort.abort();
    await stream.return(undefined);
  });

  it('an abort while waiting for live events ends the stream and unsubscribes', async () => {
    const log = createMemoryLog();
    const abort = new AbortController();
    const stream = streamChatEventBatches<Event>(log.deps, { chatId: CHAT }, abort.signal);
    const waiting = stream.next();
    expect(log.listeners.size).toBe(1);
    abort.abort();
    expect((await waiting).done).toBe(true);
    expect(log.listeners.size).toBe(0);
  });

  it('a consumer that stops early (return) unsubscribes', async () => {
    const log = createMemoryLog();
    log.store();
    const stream = streamChatEventBatches<Event>(log.deps, { chatId: CHAT });
    await stream.next();
    await stream.return(undefined);
    expect(log.listeners.size).toBe(0);
  });

  it('a stream that keeps up reads the store once, then only the live buffer', async () => {
    const log = createMemoryLog();
    log.store();
    const abort = new AbortController();
    const stream = streamChatEventBatches<Event>(log.deps, { chatId: CHAT }, abort.signal);
    await stream.next();
    for (let i = 0; i < 5; i++) {
      const next = stream.next();
      log.append(1);
      await next;
    }
    expect(log.reads).toBe(1);
    abort.abort();
    await stream.return(undefined);
  });
});
