// Worker: N tRPC WebSocket subscribers on one chat's events (`chats.eventBatches`, or `chats.events`). Measures, per
// text event, the time from the fake CLI writing the line (its timestamp is in the text) to this subscriber
// receiving it.
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

const { url, chatId, subscribers, path = 'chats.eventBatches' } = workerData;
const now = () => performance.timeOrigin + performance.now();
const clients = [];
const state = [];
let started = 0;
let finished = 0;

// Raw sockets speaking tRPC's WebSocket protocol (what @trpc/client's wsLink sends), so 50 subscribers in one
// worker measure the server, not the client library's overhead.
for (let i = 0; i < subscribers; i++) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  const s = { seqs: [], latencies: [], first: 0, last: 0, done: false };
  state.push(s);
  ws.on('open', () => {
    ws.send(JSON.stringify({ id: 1, method: 'subscription', params: { path, input: { chatId } } }));
  });
  ws.on('message', (raw) => {
    const t = now();
    const msg = JSON.parse(raw.toString());
    if (msg.error) return parentPort.postMessage({ type: 'error', message: JSON.stringify(msg.error) });
    const result = msg.result;
    if (!result) return;
    if (result.type === 'started') {
      if (++started === subscribers) parentPort.postMessage({ type: 'ready' });
      return;
    }
    if (result.type !== 'data') return;
    // tracked(): { id, data }; chats.eventBatches sends { events: [...] } per frame, chats.events one event.
    const data = result.data.data;
    for (const envelope of data.events ?? [data]) {
      s.seqs.push(envelope.seq);
      if (envelope.type === 'text-delta') {
        const at = Number(String(envelope.event.text).split('@')[1]);
        if (Number.isFinite(at)) s.latencies.push(t - at);
        if (!s.first) s.first = t;
        s.last = t;
      }
      if (envelope.type === 'turn-end' && !s.done) {
        s.done = true;
        if (++finished === subscribers) report();
      }
    }
  });
  ws.on('error', (error) => parentPort.postMessage({ type: 'error', message: String(error?.message ?? error) }));
  clients.push({ ws });
}

function report() {
  const latencies = state.flatMap((s) => s.latencies);
  const perSubscriber = state.map((s) => {
    const unique = new Set(s.seqs);
    return {
      count: s.seqs.length,
      unique: unique.size,
      max: Math.max(...s.seqs),
      ordered: s.seqs.every((v, i) => i === 0 || v === s.seqs[i - 1] + 1),
      first: s.first,
      last: s.last,
    };
  });
  parentPort.postMessage({ type: 'done', latencies, perSubscriber });
  for (const { ws } of clients) ws.close();
}
