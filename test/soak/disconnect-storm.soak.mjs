// Fault: disconnect storm. A phone-like tRPC client streams one long turn (the fake agent's `storm`: 20,000 events
// with a 256 KiB tool output every 100) through the fake Cloudflare edge and the fake cloudflared, and loses its
// WebSocket 100 times at random points: half the time the phone drops it (socket destroyed), half the time the
// edge cuts every connection. Survived: every event arrives exactly once and in order, and what the client
// holds equals the stored history, byte for byte.
import {
  compareWithHistory,
  createReport,
  percentile,
  phoneClient,
  QUICK,
  runCleanup,
  startTunnelBand,
  tempDir,
  turnEnded,
  until,
} from './lib.mjs';

const EVENTS = QUICK ? 4_000 : 20_000;
const KILLS = QUICK ? 25 : 100;
const TOOL_BYTES = QUICK ? 64 * 1024 : 256 * 1024;
// The agent's pace: the turn lasts long enough for every kill to land while it streams (a reconnect waits
// RETRY_MS first, as the dashboard's first retry does).
const RATE = QUICK ? 400 : 250;
const RETRY_MS = QUICK ? 100 : 500;
const report = createReport(
  'disconnect-storm',
  `${EVENTS} agent events (a ${TOOL_BYTES / 1024} KiB tool output every 100) streamed through the ` +
    `fake edge to a tRPC client whose WebSocket is killed ${KILLS} times at random points`,
);

const scratch = tempDir('band-soak-storm-');
const cleanup = [];
try {
  const band = await startTunnelBand(scratch.path, {
    agent: { scenario: 'storm', events: EVENTS, rate: RATE, toolBytes: TOOL_BYTES },
    branch: 'soak/storm',
  });
  cleanup.push(() => band.close());
  const { edge, server, services, chat, host } = band;

  // The phone: tRPC's own WebSocket client, through the edge's TLS, resuming with the last id it saw.
  const phone = await phoneClient({ edge, host, token: server.settings.get().tokenSecret, retryMs: RETRY_MS });
  cleanup.push(() => phone.close());
  const { trpc } = phone;

  const received = [];
  const errors = [];
  let bytes = 0;
  let started = 0;
  // Kill points: after each (re)connection, a random number of events (on average EVENTS / KILLS / 2, so the
  // kills are spread over the first part of the turn) and then a random 0-5 ms, so some land mid-frame.
  const kills = { phone: 0, edge: 0 };
  const gaps = [];
  let killedAt = 0;
  let killPending = false;
  let nextKillAt = 0;
  const drawNextKill = () => received.length + 1 + Math.floor(Math.random() * (EVENTS / KILLS));
  let lastData = Date.now();
  const kill = () => {
    killedAt = performance.now();
    if (Math.random() < 0.5) {
      kills.phone++;
      phone.socket()?.terminate(); // the phone's network is gone: the TCP connection is destroyed, no close frame
    } else {
      kills.edge++;
      edge.dropConnections();
    }
  };
  const sub = trpc.chats.eventBatches.subscribe(
    { chatId: chat.id },
    {
      onStarted: () => started++,
      onData({ data }) {
        lastData = Date.now();
        if (killedAt) {
          gaps.push(performance.now() - killedAt);
          killedAt = 0;
          killPending = false;
        }
        if (nextKillAt === 0) nextKillAt = drawNextKill();
        for (const envelope of data.events) {
          received.push(envelope);
          bytes += JSON.stringify(envelope).length;
        }
        if (!killPending && kills.phone + kills.edge < KILLS && received.length >= nextKillAt) {
          killPending = true;
          nextKillAt = 0;
          setTimeout(kill, Math.random() * 5);
        }
      },
      onError: (error) => errors.push(error),
    },
  );
  cleanup.push(() => sub.unsubscribe());
  await until(() => started > 0, 'the subscription to start', 30_000);

  const t0 = performance.now();
  const { turn } = services.chats.send({ chatId: chat.id, message: 'storm' });
  await turnEnded(services, chat.id, turn.id);
  const lastSeq = () => services.chats.history({ chatId: chat.id, limit: 1 }).lastSeq;
  await until(
    () => received.at(-1)?.seq === lastSeq() || errors.length > 0 || Date.now() - lastData > 60_000,
    'the client to catch up',
    600_000,
    50,
  );
  const seconds = (performance.now() - t0) / 1000;
  const { stored, missing, duplicates, outOfOrder, differing, firstDiff } = compareWithHistory(
    services,
    chat.id,
    received,
  );
  const storedTurn = services.chats.history({ chatId: chat.id, limit: 1 }).turns.find((t) => t.id === turn.id);

  report.check(
    'the turn completed on the server',
    storedTurn?.status === 'done',
    `turn ${storedTurn?.status}, ${stored.length} events stored`,
  );
  report.check(
    `the WebSocket was killed ${KILLS} times`,
    kills.phone + kills.edge === KILLS,
    `${kills.phone} by the phone, ${kills.edge} by the edge`,
  );
  report.check('the subscription never failed', errors.length === 0, errors[0]?.message);
  report.check(
    'every event arrived exactly once (no loss, no duplicate)',
    missing === 0 && duplicates === 0,
    `${received.length} received, ${stored.length} stored, ${missing} missing, ${duplicates} duplicated`,
  );
  report.check('every event arrived in order', outOfOrder === 0, `${outOfOrder} out of order`);
  report.check(
    "the client's view equals the stored history",
    differing === 0 && received.length === stored.length,
    differing
      ? `${differing} of ${stored.length} envelopes differ; first: ${firstDiff}`
      : `${stored.length} envelopes identical`,
  );
  report.figure('events streamed', stored.length, 'events');
  report.figure('data through the edge', bytes / 1024 / 1024, 'MiB');
  report.figure('stream duration (send to last event)', seconds, 's');
  report.figure('reconnect, kill to next event p50', percentile(gaps, 50), 'ms');
  report.figure('reconnect, kill to next event p99', percentile(gaps, 99), 'ms');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await runCleanup(cleanup);
  scratch.dispose();
}
