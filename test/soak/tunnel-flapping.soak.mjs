// Fault: tunnel flapping. While a phone streams a long turn through the fake edge, cloudflared's connection to the
// edge drops 20 times (each down for 0.3–2 s; the fake cloudflared reconnects by itself, as the real one retries),
// and every stream it carried dies with it, as on Cloudflare. Survived: cloudflared is never restarted and the URL
// stays the same; the status Band publishes (what the Mobile Access panel shows) goes degraded and back to ready
// each time; the phone reconnects after each drop and loses nothing.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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

const FLAPS = QUICK ? 5 : 20;
const EVENTS = QUICK ? 2_000 : 8_000;
// Slow enough that the turn outlasts every flap (each takes a few seconds: drop, degraded, reconnect, ready).
const RATE = QUICK ? 150 : 120;
const RETRY_MS = 250;
const report = createReport(
  'tunnel-flapping',
  `cloudflared's edge connection drops ${FLAPS} times (0.3-2 s each) ` +
    `while a phone streams ${EVENTS} agent events through the fake edge`,
);

const scratch = tempDir('band-soak-flap-');
const cleanup = [];
try {
  const band = await startTunnelBand(scratch.path, {
    agent: { scenario: 'storm', events: EVENTS, rate: RATE, toolBytes: 16 * 1024 },
    branch: 'soak/flap',
  });
  cleanup.push(() => band.close());
  const { edge, server, services, chat, host, cloudflaredState: cfdState } = band;
  const started = { url: band.tunnelUrl };
  // The fake cloudflared records each process it ran (`<pid>.json`) and where its control plane listens.
  const cloudflaredPids = () => readdirSync(cfdState).filter((f) => /^\d+\.json$/.test(f));
  const [firstPid] = cloudflaredPids();
  const metrics = JSON.parse(readFileSync(join(cfdState, firstPid), 'utf8')).events.find(
    (e) => e.name === 'metrics',
  )?.address;
  if (!metrics) throw new Error('the fake cloudflared did not record its metrics address');

  // What the Mobile Access panel is told: every status change, from the same stream its subscription reads.
  const watching = new AbortController();
  cleanup.push(() => watching.abort());
  const states = [];
  void (async () => {
    for await (const status of services.tunnel.watch(watching.signal))
      states.push({ at: performance.now(), state: status.state, url: status.url });
  })().catch(() => {});

  const phone = await phoneClient({ edge, host, token: server.settings.get().tokenSecret, retryMs: RETRY_MS });
  cleanup.push(() => phone.close());
  const received = [];
  const errors = [];
  let subscriptions = 0;
  let lastEventAt = 0;
  const sub = phone.trpc.chats.eventBatches.subscribe(
    { chatId: chat.id },
    {
      onStarted: () => subscriptions++,
      onData({ data }) {
        lastEventAt = performance.now();
        received.push(...data.events);
      },
      onError: (error) => errors.push(error),
    },
  );
  cleanup.push(() => sub.unsubscribe());
  await until(() => subscriptions > 0, 'the subscription to start', 30_000);

  const t0 = performance.now();
  const { turn } = services.chats.send({ chatId: chat.id, message: 'storm' });
  const detect = [];
  const recover = [];
  const resume = [];
  let degradedSeen = 0;
  let urlChanged = 0;
  for (let i = 0; i < FLAPS; i++) {
    const before = received.length;
    await until(() => received.length >= before + 20, `events to flow before drop ${i + 1}`, 60_000);
    const downMs = 300 + Math.floor(Math.random() * 1_700);
    const from = states.length;
    const droppedAt = performance.now();
    const subscriptionsBefore = subscriptions;
    await fetch(`http://${metrics}/__fake/drop?downMs=${downMs}`, { method: 'POST' });
    const degraded = await until(
      () => states.slice(from).find((s) => s.state === 'degraded'),
      `Band to report drop ${i + 1} as degraded`,
      60_000,
      10,
    );
    degradedSeen++;
    detect.push(degraded.at - droppedAt);
    const ready = await until(
      () => states.slice(from).find((s) => s.state === 'ready' && s.at >= degraded.at),
      `the tunnel to be ready again after drop ${i + 1}`,
      60_000,
      10,
    );
    recover.push(ready.at - droppedAt);
    if (ready.url !== started.url) urlChanged++;
    // The phone's socket died with the connection: it reconnects, resubscribes and gets the next events.
    const count = received.length;
    await until(
      () => subscriptions > subscriptionsBefore && received.length > count,
      `the phone to stream again after drop ${i + 1}`,
      60_000,
      10,
    );
    resume.push(lastEventAt - ready.at);
  }
  const status = await turnEnded(services, chat.id, turn.id);
  const lastSeq = () => services.chats.history({ chatId: chat.id, limit: 1 }).lastSeq;
  await until(() => received.at(-1)?.seq === lastSeq() || errors.length > 0, 'the phone to catch up', 120_000, 50);
  const seconds = (performance.now() - t0) / 1000;
  const { stored, missing, duplicates, outOfOrder, differing, firstDiff } = compareWithHistory(
    services,
    chat.id,
    received,
  );

  report.check('the turn completed on the server', status === 'done', `turn ${status}, ${stored.length} events stored`);
  report.check(`cloudflared lost its edge connection ${FLAPS} times`, degradedSeen === FLAPS, `${degradedSeen} drops`);
  report.check(
    'cloudflared was never restarted (one process throughout)',
    cloudflaredPids().length === 1,
    `${cloudflaredPids().length} cloudflared process(es) ran`,
  );
  report.check(
    'the URL stayed the same',
    urlChanged === 0 && services.tunnel.status().url === started.url,
    services.tunnel.status().url,
  );
  report.check(
    'the published status went degraded, then ready, after every drop',
    states.filter((s) => s.state === 'degraded').length >= FLAPS && services.tunnel.status().state === 'ready',
    states
      .map((s) => s.state)
      .join(' → ')
      .slice(0, 200),
  );
  report.check(
    'the phone reconnected after every drop',
    subscriptions >= FLAPS + 1,
    `${subscriptions} subscriptions (1 + ${subscriptions - 1} reconnects)`,
  );
  report.check('the subscription never failed', errors.length === 0, errors[0]?.message);
  report.check(
    'every event arrived exactly once (no loss, no duplicate)',
    missing === 0 && duplicates === 0,
    `${received.length} received, ${stored.length} stored, ${missing} missing, ${duplicates} duplicated`,
  );
  report.check('every event arrived in order', outOfOrder === 0, `${outOfOrder} out of order`);
  report.check(
    "the phone's view equals the stored history",
    differing === 0 && received.length === stored.length,
    differing ? `${differing} differ; first: ${firstDiff}` : `${stored.length} envelopes identical`,
  );
  report.figure('drops', FLAPS, 'drops');
  report.figure('events streamed', stored.length, 'events');
  report.figure('stream duration (send to last event)', seconds, 's');
  report.figure('drop to degraded shown, p50', percentile(detect, 50), 'ms');
  report.figure('drop to degraded shown, p99', percentile(detect, 99), 'ms');
  report.figure('drop to ready again, p50 (includes the 0.3-2 s outage)', percentile(recover, 50), 'ms');
  report.figure('ready to the phone streaming again, p50', percentile(resume, 50), 'ms');
  report.figure('ready to the phone streaming again, p99', percentile(resume, 99), 'ms');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await runCleanup(cleanup);
  scratch.dispose();
}
