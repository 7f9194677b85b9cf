// Approval latency (issue 20): the real Claude Code (offline, scripted model, default permission mode) asks
// before each of N Bash calls; a tRPC WebSocket client subscribed to the chat (as the dashboard and the phone are)
// answers each one as soon as it arrives. Two figures, p50/p99:
//   - request → client: Band's part, from the moment the MCP server's request reaches Band (the event's
//     `requestedAt`) to the `approval-request` event arriving at the subscribed client;
//   - model → client: end to end, from the scripted model sending the tool_use to the event at the client
//     (includes Claude Code's own permission check and the MCP round trip).
// Each measured twice: a subscriber on the local listener, and one through the fake Cloudflare edge (TLS) → fake
// cloudflared → tunnel listener, as a phone is. Writes bench-results/server-approvals.json.
//   node bench/approvals.mjs [--samples 50]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { claudeCodeOfflineEnv, findClaudeCodeBinary, startScriptedModel } from '@band/agents/testing';
import { fakeCloudflaredEnv, fakeCloudflaredPath, startFakeEdge } from '@band/tunnel/testing';
import { createTRPCClient, createWSClient, httpLink, splitLink, wsLink } from '@trpc/client';
import WebSocket from 'ws';
import { startServer } from '../dist/index.js';

const args = process.argv.slice(2);
const i = args.indexOf('--samples');
const SAMPLES = i >= 0 ? Number(args[i + 1]) : process.env.BAND_BENCH_QUICK === '1' ? 5 : 50;
const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const round = (n) => Math.round(n * 10) / 10;

const scratch = mkdtempSync(join(tmpdir(), 'band-bench-approvals-'));
const repo = join(scratch, 'repo');
mkdirSync(repo);
const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: gitEnv });
execFileSync('git', ['commit', '-q', '--allow-empty', '-m', 'init'], { cwd: repo, env: gitEnv });

const sentAt = new Map(); // tool_use id → when the model sent it
let calls = 0;
const model = await startScriptedModel(() => {
  calls += 1;
  if (calls > SAMPLES) return { content: [{ type: 'text', text: 'done' }] };
  const id = `toolu_bench_${calls}`;
  sentAt.set(id, Date.now());
  return { content: [{ type: 'tool_use', id, name: 'Bash', input: { command: `echo ${calls} >> approvals.txt` } }] };
});
const edge = await startFakeEdge();
const server = await startServer({
  home: join(scratch, 'band'),
  port: 0,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  env: {
    ...process.env,
    ...edge.env,
    ...fakeCloudflaredEnv({ stateDir: join(scratch, 'cfd') }),
    BAND_CLOUDFLARED_PATH: fakeCloudflaredPath,
    ...claudeCodeOfflineEnv({ home: join(scratch, 'claude-home'), baseUrl: model.url }),
  },
});
const results = [];
const sockets = [];

/** A tRPC client: HTTP for mutations, WebSocket for subscriptions, with the token as bearer. */
function connect(base, headers, options = {}) {
  const ws = createWSClient({
    url: `${base.replace(/^http/, 'ws')}/api/trpc-ws`,
    WebSocket: class extends WebSocket {
      constructor(url) {
        super(url, { headers, ...options });
      }
    },
  });
  sockets.push(ws);
  return createTRPCClient({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: wsLink({ client: ws }),
        false: httpLink({ url: `${base}/api/trpc`, headers }),
      }),
    ],
  });
}
try {
  await server.settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'claude-code', type: 'claude-code', label: 'Claude Code', command: findClaudeCodeBinary() }],
    defaultCodingAgent: 'claude-code',
  }));
  const services = server.api.services;
  const { project } = await services.projects.register({ path: repo });
  const { workspace } = await services.workspaces.create({ project: project.id, branch: 'bench', waitForSetup: true });
  const chat = services.chats.create({ workspaceId: workspace.id, mode: 'default' });

  const token = server.settings.get().tokenSecret;
  const client = connect(server.url, { authorization: `Bearer ${token}`, origin: server.url });
  const status = await services.tunnel.start();
  const host = new URL(status.url).host;
  await edge.waitForRoute(host);
  const phone = connect(
    `https://127.0.0.1:${edge.port}`,
    { authorization: `Bearer ${token}`, host, origin: `https://${host}` },
    { rejectUnauthorized: false },
  );
  const band = [];
  const endToEnd = [];
  const viaEdge = [];
  /** Resolves when the turn ends; `onRequest` sees each approval-request with its arrival time. */
  const follow = (c, onRequest) =>
    new Promise((resolve, reject) => {
      const sub = c.chats.events.subscribe(
        { chatId: chat.id },
        {
          onStarted: () => onStarted(),
          onData: ({ data }) => {
            const now = Date.now();
            const event = data.event;
            if (event.type === 'approval-request') onRequest(event, now);
            if (event.type === 'turn-end') {
              sub.unsubscribe();
              if (event.status === 'done') resolve();
              else reject(new Error(`the turn ended ${event.status}: ${event.error ?? ''}`));
            }
          },
          onError: reject,
        },
      );
    });
  // Both subscribers are live before the turn starts (neither measures a replay).
  let startedCount = 0;
  let bothStarted;
  const started = new Promise((resolve) => (bothStarted = resolve));
  const onStarted = () => ++startedCount === 2 && bothStarted();
  const finished = Promise.all([
    follow(client, (event, now) => {
      band.push(now - Date.parse(event.requestedAt));
      const sent = sentAt.get(event.toolUseId);
      if (sent !== undefined) endToEnd.push(now - sent);
      // The local client answers; the phone only watches.
      client.approvals.answer.mutate({ requestId: event.requestId, answer: 'allow' });
    }),
    follow(phone, (event, now) => viaEdge.push(now - Date.parse(event.requestedAt))),
  ]);
  await started;
  services.chats.send({ chatId: chat.id, message: 'append to approvals.txt' });
  await finished;
  if (band.length !== SAMPLES || viaEdge.length !== SAMPLES)
    throw new Error(`expected ${SAMPLES} approval requests, saw ${band.length} / ${viaEdge.length}`);
  const note = `${SAMPLES} Bash requests, real Claude Code, tRPC WebSocket subscriber on the local listener`;
  const edgeNote = `${SAMPLES} Bash requests; fake edge (TLS) -> fake cloudflared -> tunnel listener`;
  results.push({
    name: 'approval request → subscribed client p50',
    value: round(percentile(band, 50)),
    unit: 'ms',
    note,
  });
  results.push({
    name: 'approval request → subscribed client p99',
    value: round(percentile(band, 99)),
    unit: 'ms',
    note,
  });
  results.push({
    name: 'approval request → client via tunnel p50',
    value: round(percentile(viaEdge, 50)),
    unit: 'ms',
    note: edgeNote,
  });
  results.push({
    name: 'approval request → client via tunnel p99',
    value: round(percentile(viaEdge, 99)),
    unit: 'ms',
    note: edgeNote,
  });
  results.push({
    name: 'model tool_use → approval at client p50',
    value: round(percentile(endToEnd, 50)),
    unit: 'ms',
    note: `${note}; includes Claude Code's permission check and MCP call`,
  });
  results.push({
    name: 'model tool_use → approval at client p99',
    value: round(percentile(endToEnd, 99)),
    unit: 'ms',
    note: `${note}; includes Claude Code's permission check and MCP call`,
  });
} finally {
  for (const ws of sockets) ws.close();
  await server.close();
  await model.close();
  await edge.close();
  rmSync(scratch, { recursive: true, force: true });
}
for (const r of results)
  process.stdout.write(`${r.name.padEnd(44)} ${String(r.value).padStart(8)} ${r.unit}  ${r.note}\n`);
const out = fileURLToPath(new URL('../../../bench-results/', import.meta.url));
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'server-approvals.json'), `${JSON.stringify({ package: '@band/server', results }, null, 2)}\n`);
