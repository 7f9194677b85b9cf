// Load: 50 phones subscribed, 5 agents streaming and 5 terminals printing, for 10 minutes (quick: 10 s), against a
// Band server in its own process (so its memory and CPU are its own, read from /proc). Each agent is the fake CLI's
// `flood` at a steady pace; every text event carries the wall-clock time the agent wrote its stdout line, so each
// phone measures agent stdout line → its own receipt. 10 phones watch each chat (tRPC `chats.eventBatches`, plus
// `chats.statuses` as the dashboard does), straight to the server's listener (the tunnel path is the disconnect
// storm's and the flapping's). Each terminal is a real PTY running a loop that prints a numbered, timestamped line
// every 50 ms, read through its WebSocket (`/api/terminals/<id>`).
// Survived: no phone loses or doubles an event (every one, in order), no terminal line is lost or doubled, every
// turn completes; in the full run also: server RSS grows at most 20 % after the warm-up and p99 latency ≤ 50 ms (the
// quick run reports both without checking them: CI machines are loaded).
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { loadSettings } from '@band/settings';
import {
  createReport,
  makeRepo,
  percentile,
  phoneClient,
  QUICK,
  runCleanup,
  serveInProcess,
  stopChildren,
  tempDir,
  trpcHttp,
  until,
} from './lib.mjs';

const PHONES = 50;
const AGENTS = 5;
const TERMINALS = 5;
const WARMUP_S = QUICK ? 5 : 60;
const MEASURE_S = QUICK ? 10 : 600;
/** Events per second per agent (a fast token stream), and enough of them to stream through warm-up and measurement. */
const RATE = 50;
const EVENTS = RATE * (WARMUP_S + MEASURE_S + 5);
const TERMINAL_INTERVAL_S = 0.05;
const SAMPLE_MS = 5_000;
const report = createReport(
  'load',
  `${PHONES} phones subscribed (${PHONES / AGENTS} per chat), ${AGENTS} agents streaming ${RATE} ` +
    `events/s each, ${TERMINALS} terminals printing ${1 / TERMINAL_INTERVAL_S} lines/s each, for ${MEASURE_S} ` +
    `s after a ${WARMUP_S} s warm-up`,
);

const now = () => performance.timeOrigin + performance.now();
const CLK_TCK = 100; // USER_HZ on Linux
/** The server's resident memory (bytes) and CPU time used so far (ms), from /proc. */
function procSample(pid) {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuMs = ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // utime + stime
  return { at: performance.now(), rss, cpuMs };
}
const mib = (bytes) => bytes / 1024 / 1024;

const scratch = tempDir('band-soak-load-');
const home = join(scratch.path, 'home');
const children = [];
const cleanup = [];
try {
  const settings = await loadSettings({ home });
  await settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }],
    defaultCodingAgent: 'fake',
  }));
  const token = settings.get().tokenSecret;
  await settings.close();
  const memoryFile = join(scratch.path, 'server-memory.json');
  const memory = () => JSON.parse(readFileSync(memoryFile, 'utf8'));
  // The terminals' shell is /bin/sh: this machine's ~/.bashrc (pyenv's rehash lock can hold a new bash for 60 s) is
  // not what is measured; the loop itself runs in bash.
  const server = await serveInProcess(
    home,
    {
      ...fakeAgentEnv({ scenario: 'flood', events: EVENTS, rate: RATE }),
      BAND_SOAK_MEMORY_FILE: memoryFile,
      SHELL: '/bin/sh',
    },
    children,
  );
  const call = trpcHttp(server.url, token);
  const unwrap = async (promise, what) => {
    const r = await promise;
    if (!r.ok) throw new Error(`${what}: ${r.error?.message ?? r.status}`);
    return r.data;
  };

  await unwrap(
    call('projects.register', { path: makeRepo(join(scratch.path, 'repo')), name: 'soak' }, true),
    'projects.register',
  );
  const workspaces = [];
  for (let i = 0; i < AGENTS; i++)
    workspaces.push(
      (
        await unwrap(
          call('workspaces.create', { project: 'soak', branch: `soak/load-${i}` }, true),
          'workspaces.create',
        )
      ).workspace,
    );
  for (const w of workspaces)
    await until(
      async () => (await call('workspaces.get', { workspace: w.id })).data?.status === 'ready',
      'the workspaces to be ready',
      60_000,
      100,
    );
  const chats = [];
  for (const w of workspaces)
    chats.push(await unwrap(call('chats.create', { workspaceId: w.id }, true), 'chats.create'));

  // --- the phones: each watches one chat, from its start, and the agents' statuses ---
  let measuring = false;
  const latencies = [];
  const errors = [];
  const phones = [];
  for (let p = 0; p < PHONES; p++) {
    const client = await phoneClient({ serverUrl: server.url, token, retryMs: 500 });
    cleanup.push(() => client.close());
    const phone = {
      chat: chats[p % AGENTS],
      started: 0,
      lastSeq: 0,
      received: 0,
      duplicates: 0,
      gaps: 0,
      missingInGaps: 0,
      texts: 0,
    };
    phones.push(phone);
    const sub = client.trpc.chats.eventBatches.subscribe(
      { chatId: phone.chat.id },
      {
        onStarted: () => phone.started++,
        onData({ data }) {
          const at = now();
          for (const envelope of data.events) {
            phone.received++;
            if (envelope.seq <= phone.lastSeq) {
              phone.duplicates++;
              continue;
            }
            if (envelope.seq !== phone.lastSeq + 1) {
              phone.gaps++;
              phone.missingInGaps += envelope.seq - phone.lastSeq - 1;
            }
            phone.lastSeq = envelope.seq;
            const e = envelope.event;
            if (e?.type !== 'text-delta') continue;
            phone.texts++;
            // The fake agent's text: `#<i>@<epoch ms when it wrote the line>`.
            const stamp = Number(e.text.slice(e.text.indexOf('@') + 1));
            if (measuring && stamp >= measuring) latencies.push(at - stamp);
          }
        },
        onError: (error) => errors.push(`phone ${p}: ${error.message}`),
      },
    );
    cleanup.push(() => sub.unsubscribe());
    const statuses = client.trpc.chats.statuses.subscribe(undefined, {
      onData() {},
      onError: (error) => errors.push(`phone ${p} statuses: ${error.message}`),
    });
    cleanup.push(() => statuses.unsubscribe());
  }
  await until(() => phones.every((p) => p.started > 0), 'every phone to subscribe', 60_000, 50);

  // --- the terminals: a real PTY each, printing `L <n> <epoch µs> <padding>` every 50 ms, read through its socket ---
  const { default: WebSocket } = await import('ws');
  const pad = 'x'.repeat(80);
  const loop =
    `bash -c 'i=0; while :; ` +
    `do i=$((i+1)); printf "L %d %s ${pad}\\n" $i \${EPOCHREALTIME/[.,]/}; sleep ${TERMINAL_INTERVAL_S}; done'`;
  const terminals = [];
  for (const w of workspaces) {
    const info = await unwrap(
      call('terminals.create', { workspaceId: w.id, command: loop, cols: 200, rows: 50 }, true),
      'terminals.create',
    );
    const term = {
      id: info.id,
      lines: 0,
      last: 0,
      duplicates: 0,
      missing: 0,
      latencies: [],
      attached: false,
      closed: false,
      partial: '',
    };
    terminals.push(term);
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/terminals/${info.id}`, {
      headers: { origin: server.url, authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    cleanup.push(() => ws.terminate());
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        if (JSON.parse(String(data)).type === 'attached') term.attached = true;
        return;
      }
      const at = now();
      const text = term.partial + data.toString('utf8');
      const lines = text.split('\n');
      term.partial = lines.pop();
      for (const line of lines) {
        const m = /^L (\d+) (\d+) x/.exec(line.replace(/\r$/, ''));
        if (!m) continue;
        const n = Number(m[1]);
        term.lines++;
        if (term.last > 0 && n <= term.last) term.duplicates++;
        else if (term.last > 0 && n !== term.last + 1) term.missing += n - term.last - 1;
        term.last = Math.max(term.last, n);
        if (measuring && Number(m[2]) / 1000 >= measuring) term.latencies.push(at - Number(m[2]) / 1000);
      }
    });
    ws.on('error', (error) => errors.push(`terminal ${info.id}: ${error.message}`));
    ws.on('close', () => {
      term.closed = true;
    });
  }
  try {
    await until(() => terminals.every((t) => t.lines > 0), 'every terminal to print', 60_000, 50);
  } catch (error) {
    const quiet = terminals.find((t) => t.lines === 0);
    const output = await call('terminals.output', { id: quiet.id, lines: 20 });
    throw new Error(
      `${error.message}: terminal ${quiet.id} (attached: ${quiet.attached}) ` +
        `shows ${JSON.stringify(output.data?.text ?? output.data ?? output.error).slice(0, 600)}`,
    );
  }

  // --- the agents ---
  const turns = [];
  for (const chat of chats)
    turns.push((await unwrap(call('chats.send', { chatId: chat.id, message: 'stream' }, true), 'chats.send')).turn);
  await until(() => phones.every((p) => p.texts > 0), 'every phone to receive its agent’s stream', 60_000, 50);

  // --- warm-up, then the measured window: RSS and CPU every 5 s ---
  await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
  const first = procSample(server.pid);
  const memoryFirst = memory();
  measuring = now();
  // The phones all live in this process: how late its own event loop ran is part of every latency measured here.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const samples = [first];
  const deliveredAtStart = phones.reduce((n, p) => n + p.received, 0);
  const loadStart = loadavg()[0];
  const end = performance.now() + MEASURE_S * 1000;
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, Math.min(SAMPLE_MS, end - performance.now())));
    samples.push(procSample(server.pid));
    if (!QUICK && samples.length % 12 === 1) {
      const s = samples.at(-1);
      process.stderr.write(
        `       ${Math.round((s.at - first.at) / 1000)} s: RSS ${mib(s.rss).toFixed(1)} MiB, ${latencies.length} ` +
          `events timed, load ${loadavg()[0].toFixed(1)}\n`,
      );
    }
  }
  const last = samples.at(-1);
  const memoryLast = memory();
  const measuredS = (last.at - first.at) / 1000;
  measuring = false;
  loopDelay.disable();
  const deliveredInWindow = phones.reduce((n, p) => n + p.received, 0) - deliveredAtStart;
  const loadEnd = loadavg()[0];

  // --- the agents finish their turns; every phone catches up; the terminals are killed ---
  const history = async (chatId) => unwrap(call('chats.history', { chatId, limit: 1 }), 'chats.history');
  for (const [i, chat] of chats.entries()) {
    await until(
      async () =>
        ['done', 'failed', 'aborted'].includes(
          (await history(chat.id)).turns.find((t) => t.id === turns[i].id)?.status,
        ),
      'the turns to end',
      300_000,
      250,
    );
  }
  const stored = [];
  for (const chat of chats) {
    const h = await history(chat.id);
    stored.push({
      chatId: chat.id,
      lastSeq: h.lastSeq,
      status: h.turns.find((t) => turns.some((x) => x.id === t.id))?.status,
    });
  }
  const lastSeqOf = (chatId) => stored.find((s) => s.chatId === chatId).lastSeq;
  await until(
    () => errors.length > 0 || phones.every((p) => p.lastSeq >= lastSeqOf(p.chat.id)),
    'every phone to catch up',
    120_000,
    50,
  );
  for (const t of terminals) await unwrap(call('terminals.kill', { id: t.id }, true), 'terminals.kill');
  await until(() => terminals.every((t) => t.closed), 'the terminal sockets to close', 30_000, 50);

  const lost = phones.reduce((n, p) => n + p.missingInGaps + Math.max(0, lastSeqOf(p.chat.id) - p.lastSeq), 0);
  const duplicated = phones.reduce((n, p) => n + p.duplicates, 0);
  const expected = phones.reduce((n, p) => n + lastSeqOf(p.chat.id), 0);
  const received = phones.reduce((n, p) => n + p.received, 0);
  const growth = (last.rss - first.rss) / first.rss;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const cpuAvg = (last.cpuMs - first.cpuMs) / (last.at - first.at);
  const cpuPeak = Math.max(...samples.slice(1).map((s, i) => (s.cpuMs - samples[i].cpuMs) / (s.at - samples[i].at)));
  const termLatencies = terminals.flatMap((t) => t.latencies);
  const termLost = terminals.reduce((n, t) => n + t.missing, 0);
  const termDup = terminals.reduce((n, t) => n + t.duplicates, 0);
  const termLines = terminals.reduce((n, t) => n + t.lines, 0);

  report.check(
    `all ${AGENTS} turns completed`,
    stored.every((s) => s.status === 'done'),
    stored.map((s) => `${s.status} (${s.lastSeq} events)`).join(', '),
  );
  report.check('no subscription or terminal socket failed', errors.length === 0, errors[0]);
  report.check(
    'no phone lost or doubled an event (every one, in order)',
    lost === 0 && duplicated === 0 && received === expected,
    `${received} received of ${expected} (${PHONES} phones × their chat's events), ${lost} lost, ${duplicated} ` +
      `duplicated, ${phones.reduce((n, p) => n + p.gaps, 0)} gaps`,
  );
  report.check(
    'no terminal line lost or doubled',
    termLost === 0 && termDup === 0 && termLines > 0,
    `${termLines} lines read, ${termLost} lost, ${termDup} duplicated`,
  );
  const rssDetail = `${mib(first.rss).toFixed(1)} → ${mib(last.rss).toFixed(1)} MiB (${(growth * 100).toFixed(1)} %)`;
  const p99Detail = `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms over ${latencies.length} deliveries`;
  if (QUICK) {
    process.stderr.write(`       (quick: RSS growth ${rssDetail} and ${p99Detail} are reported, not checked)\n`);
  } else {
    report.check('server RSS grew at most 20 % after the warm-up', growth <= 0.2, rssDetail);
    report.check('event latency p99 ≤ 50 ms (agent stdout line → phone)', p99 <= 50, p99Detail);
  }
  report.figure('measured window', measuredS, 's');
  report.figure('server RSS after warm-up', mib(first.rss), 'MiB');
  report.figure('server RSS at the end', mib(last.rss), 'MiB');
  report.figure('server RSS peak', mib(Math.max(...samples.map((s) => s.rss))), 'MiB');
  report.figure('server RSS growth after warm-up', growth * 100, '%');
  // Where the RSS is: the V8 heap (JavaScript objects), Buffers (socket writes, PTY output), the rest is native
  // (SQLite's cache, the code, the allocator's free pages).
  report.figure(
    'server V8 heap used after warm-up / at the end',
    mib(memoryFirst.heapUsed),
    `/ ${mib(memoryLast.heapUsed).toFixed(1)} MiB`,
  );
  report.figure(
    'server V8 heap total after warm-up / at the end',
    mib(memoryFirst.heapTotal),
    `/ ${mib(memoryLast.heapTotal).toFixed(1)} MiB`,
  );
  report.figure(
    'server Buffers (external) after warm-up / at the end',
    mib(memoryFirst.external),
    `/ ${mib(memoryLast.external).toFixed(1)} MiB`,
  );
  report.figure('event latency p50 (agent stdout line → phone)', p50, 'ms');
  report.figure('event latency p99', p99, 'ms');
  report.figure(
    'event latency max',
    latencies.reduce((a, b) => Math.max(a, b), 0),
    'ms',
  );
  report.figure('events delivered to phones in the window', deliveredInWindow / measuredS, 'events/s');
  report.figure(
    'events stored',
    stored.reduce((n, s) => n + s.lastSeq, 0),
    'events',
  );
  report.figure('server CPU, average (100 % = one core)', cpuAvg * 100, '%');
  report.figure('server CPU, busiest 5 s', cpuPeak * 100, '%');
  report.figure('terminal latency p50 (printf → viewer)', percentile(termLatencies, 50), 'ms');
  report.figure('terminal latency p99', percentile(termLatencies, 99), 'ms');
  report.figure("the phones' own event-loop delay p99 (part of the latency)", loopDelay.percentile(99) / 1e6, 'ms');
  report.figure('load average (1 min) at the start of the window', loadStart, '');
  report.figure('load average (1 min) at the end of the window', loadEnd, '');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await runCleanup(cleanup);
  await stopChildren(children);
  scratch.dispose();
}
