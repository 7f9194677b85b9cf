// Fault: disconnect storm in Chromium. The real dashboard, on a phone-sized page in headless Chromium, signed in
// through the tunnel (a pairing link, as a scanned QR code), sends a message; the fake agent's `storm` answers with
// a few thousand text events and a tool call (4 KiB of output: quotes, tabs, emoji, `</script>`) every 100. While
// it streams, the fake Cloudflare edge cuts every client connection at random points, so the page's WebSocket dies
// and the dashboard's own client reconnects and resumes. Survived: the transcript the page renders equals the
// stored history (the prompt, every text event and every tool output exactly once, in order), the page reconnected
// after every kill, and the server sent each event to the page once (its frames, as Chromium received them).
import { createHash } from 'node:crypto';
import { chromium } from 'playwright-core';
import {
  createReport,
  percentile,
  QUICK,
  runCleanup,
  startTunnelBand,
  storedHistory,
  tempDir,
  turnEnded,
  until,
} from './lib.mjs';

const EVENTS = QUICK ? 1_500 : 4_000;
const KILLS = QUICK ? 5 : 20;
// The agent's pace: the turn outlasts every kill. Each costs the dashboard's first retry delay (0.4-0.6 s) and a
// reconnect through the edge, and more once the page is busy rendering a long transcript on a loaded machine
// (5-8 s at 4,000+ events and a load average of 15, or at any length with a load average of 20).
const RATE = QUICK ? 60 : 25;
const TOOL_BYTES = 4 * 1024; // under the 20,000 characters the page shows of a tool output, so all of it is compared
// As apps/dashboard/test/helpers.ts and ui/harness.ts (PHONE) launch and size it.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];
const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 3,
  isMobile: true,
  hasTouch: true,
  colorScheme: 'dark',
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 ' +
    '(KHTML, like Gecko) Chrome/140.0.0.0 Mobile Safari/537.36',
};
const PROMPT = 'stream a long answer';
const report = createReport(
  'disconnect-storm-chromium',
  `the dashboard in Chromium (phone layout, ` +
    `through the fake edge) streams ${EVENTS} agent events (a ${TOOL_BYTES / 1024} KiB tool output every 100) ` +
    `while the edge cuts its connections ${KILLS} times at random points`,
);

const sha = (text) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** The transcript as a sequence: the prompt, each text event (`#<i>`), each tool call with its output's hash. */
function expectedSequence(events, turnId) {
  const outputs = new Map(
    events.filter((e) => e.event.type === 'tool-result').map((e) => [e.event.id, e.event.output]),
  );
  const sequence = [];
  for (const { turnId: t, event: e } of events) {
    if (t !== turnId) continue;
    if (e.type === 'user-message') sequence.push(`prompt ${e.text}`);
    else if (e.type === 'text-delta') for (const m of e.text.matchAll(/#(\d+)/g)) sequence.push(`text #${m[1]}`);
    else if (e.type === 'tool-use') sequence.push(`tool ${e.input?.command} ${sha(String(outputs.get(e.id)))}`);
  }
  return sequence;
}

/** The same, read from what the page renders. */
async function renderedSequence(page) {
  const items = await page.evaluate(() =>
    [
      ...document.querySelectorAll(
        '[data-testid="chat-turn"] :is([data-testid="chat-prompt"], ' +
          '[data-testid="chat-text"], [data-testid="chat-tool"])',
      ),
    ].map((el) => {
      const pres = el.querySelectorAll('pre');
      return {
        kind: el.dataset.testid,
        text: el.dataset.testid === 'chat-tool' ? undefined : el.textContent,
        command: pres[0]?.textContent,
        output: pres[1]?.textContent,
      };
    }),
  );
  const sequence = [];
  for (const item of items) {
    if (item.kind === 'chat-prompt') sequence.push(`prompt ${item.text.trim()}`);
    else if (item.kind === 'chat-text') for (const m of item.text.matchAll(/#(\d+)/g)) sequence.push(`text #${m[1]}`);
    else sequence.push(`tool ${item.command?.replace(/^\$ /, '')} ${sha(String(item.output))}`);
  }
  return sequence;
}

const scratch = tempDir('band-soak-chromium-');
const cleanup = [];
const setupStart = performance.now();
try {
  const band = await startTunnelBand(scratch.path, {
    agent: { scenario: 'storm', events: EVENTS, rate: RATE, toolBytes: TOOL_BYTES },
    branch: 'soak/chromium',
  });
  cleanup.push(() => band.close());
  const { edge, services, workspace, chat, tunnelUrl } = band;

  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_ARGS, ...edge.chromiumArgs],
  });
  cleanup.push(() => browser.close());
  const context = await browser.newContext({ ...PHONE, ignoreHTTPSErrors: true });
  const page = await context.newPage();

  // The page's live sockets, as Chromium sees them: every frame that carries this chat's events is counted (the
  // page opens on an empty chat and subscribes once, so each event should come over the wire once, reconnects
  // included) and drives the kills.
  const sockets = [];
  const seen = new Set();
  let wireEvents = 0;
  let wireDuplicates = 0;
  let streaming = false;
  const kills = [];
  const gaps = [];
  let killPending = false;
  let socketsAtKill = 0;
  let nextKillAt = 0;
  // Kill points: after each reconnection, a random number of events (on average EVENTS / KILLS / 8, so every kill
  // lands while the turn streams), then a random 0-5 ms, so some land mid-frame.
  const drawNextKill = () => wireEvents + 1 + Math.floor(Math.random() * (EVENTS / KILLS / 4));
  const kill = () => {
    kills.push({ at: performance.now(), cut: edge.dropConnections() });
    socketsAtKill = sockets.length;
  };
  page.on('websocket', (ws) => {
    if (!ws.url().endsWith('/api/trpc-ws')) return;
    sockets.push(ws);
    ws.on('framereceived', ({ payload }) => {
      if (typeof payload !== 'string' || !payload.includes('"events"')) return;
      let message;
      try {
        message = JSON.parse(payload);
      } catch {
        return;
      }
      for (const m of Array.isArray(message) ? message : [message]) {
        // A `tracked()` event: `{ id: <last seq>, data: { events } }`.
        const events = m?.result?.data?.data?.events;
        if (!Array.isArray(events)) continue;
        for (const e of events) {
          if (e.chatId !== chat.id) continue;
          wireEvents++;
          if (seen.has(e.seq)) wireDuplicates++;
          seen.add(e.seq);
        }
      }
      if (!streaming) return;
      if (killPending && socketsAtKill > 0 && sockets.indexOf(ws) >= socketsAtKill) {
        // The first events on the socket opened after the kill.
        gaps.push(performance.now() - kills.at(-1).at);
        killPending = false;
        socketsAtKill = 0;
        nextKillAt = drawNextKill();
      }
      if (nextKillAt === 0) nextKillAt = drawNextKill();
      if (!killPending && kills.length < KILLS && wireEvents >= nextKillAt) {
        killPending = true;
        setTimeout(kill, Math.random() * 5);
      }
    });
  });

  // Sign in as a phone does (the pairing link a QR code carries), then open the workspace.
  await page.goto(services.devices.createPairingCode('tunnel').url);
  await page.waitForSelector('[data-testid="sidebar"] [data-testid="workspace-link"]', { timeout: 60_000 });
  await page.goto(`${tunnelUrl}/w/${workspace.id}`);
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 60_000 });
  await page.waitForSelector('[data-testid="chat-input"]', { timeout: 60_000 });
  await page.fill('[data-testid="chat-input"]', PROMPT);
  streaming = true;
  const t0 = performance.now();
  const setupSeconds = (t0 - setupStart) / 1000;
  await page.tap('[data-testid="chat-send"]');
  const turn = await until(
    () => services.chats.history({ chatId: chat.id, limit: 1 }).turns.at(-1),
    'the message to reach the chat',
    60_000,
    50,
  );
  const status = await turnEnded(services, chat.id, turn.id);
  const endedAt = performance.now();
  const stored = storedHistory(services, chat.id);
  const expected = expectedSequence(stored, turn.id);
  // The page has it all once the turn's result shows and every text event is on screen.
  await page.waitForSelector('[data-testid="chat-result"]', { timeout: 120_000 });
  const lastText = expected.findLast((s) => s.startsWith('text '));
  await until(
    async () => (await renderedSequence(page)).includes(lastText),
    'the page to render the last event',
    120_000,
    250,
  );
  const renderedMs = performance.now() - endedAt;
  const seconds = (performance.now() - t0) / 1000;
  const rendered = await renderedSequence(page);
  let firstDiff = -1;
  for (let i = 0; i < Math.max(rendered.length, expected.length); i++) {
    if (rendered[i] !== expected[i]) {
      firstDiff = i;
      break;
    }
  }
  const count = (seq, prefix) => seq.filter((s) => s.startsWith(prefix)).length;
  const storedTexts = count(expected, 'text ');
  const renderedTexts = count(rendered, 'text ');
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 60_000 });
  const results = await page
    .locator('[data-testid="chat-result"]')
    .evaluateAll((els) => els.map((el) => el.dataset.status));
  const streamErrors = await page.locator('[data-testid="chat-stream-error"]').count();

  report.check('the turn completed on the server', status === 'done', `turn ${status}, ${stored.length} events stored`);
  report.check(
    `the edge cut the page's connections ${KILLS} times while it streamed`,
    kills.length === KILLS,
    `${kills.length} cuts (${kills.reduce((n, k) => n + k.cut, 0)} connections)`,
  );
  report.check(
    'the page reconnected after every cut',
    sockets.length >= kills.length + 1,
    `${sockets.length} live sockets opened (1 + ${sockets.length - 1})`,
  );
  report.check(
    'the page shows no stream error and is connected at the end',
    streamErrors === 0,
    `${streamErrors} stream errors`,
  );
  report.check(
    'the rendered transcript equals the stored history (every event exactly once, in order)',
    firstDiff === -1,
    firstDiff === -1
      ? `${rendered.length} items: the prompt, ${renderedTexts} text events, ${count(rendered, 'tool ')} tool outputs`
      : `first difference at item ${firstDiff}: page ${rendered[firstDiff] ?? '(nothing)'}, ` +
          `stored ${expected[firstDiff] ?? '(nothing)'}; page ${renderedTexts} text events, stored ${storedTexts}`,
  );
  report.check(
    'the turn ends once, successfully, on the page',
    results.length === 1 && results[0] === 'success',
    results.join(', '),
  );
  report.check(
    'the server sent the page each event once (on the wire, across the reconnects)',
    wireDuplicates === 0 && seen.size === stored.length,
    `${wireEvents} events in frames, ${seen.size} distinct of ${stored.length} stored, ${wireDuplicates} repeated`,
  );
  report.figure('setup (server, tunnel, Chromium, sign-in through the edge)', setupSeconds, 's');
  report.figure('events streamed', stored.length, 'events');
  report.figure('items rendered (prompt, text events, tool outputs)', rendered.length, 'items');
  report.figure('stream duration (send to everything rendered)', seconds, 's');
  report.figure('turn end to the page showing all of it', renderedMs, 'ms');
  report.figure('cut to the next event on the page, p50', percentile(gaps, 50), 'ms');
  report.figure('cut to the next event on the page, p99', percentile(gaps, 99), 'ms');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await runCleanup(cleanup);
  scratch.dispose();
}
