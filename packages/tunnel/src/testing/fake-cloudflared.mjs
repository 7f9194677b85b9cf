#!/usr/bin/env node
// A faithful offline fake of `cloudflared` (tunnel.md §1.12): same flags, stderr lines, URL banner,
// metrics endpoints, signals, grace period and exit codes, with failure scenarios chosen by env:
//   FAKE_CFD_SCENARIO  ok | rate-limit | api-5xx-html | api-json-error | offline | api-timeout[=ms] |
//                      edge-unreachable | quic-blocked | slow-register=<ms> | drop-after=<ms>,<down-ms> |
//                      crash-after=<ms> | exit-after=<ms>:<code> | autoupdate-after=<ms> | metrics-port-busy |
//                      ignore-sigterm | origin-errors | auth-fail | no-dns | legacy=2022 | legacy=2026.5
//                      (several may be combined with `+`, e.g. `ignore-sigterm+slow-register=500`)
//   FAKE_CFD_VERSION   the version profile: flags (`--output` from 2025.6.1, `--token-file` from 2025.4.0,
//                      `--no-prechecks` from 2026.5.0), wording (QUIC and serve errors, the quick-tunnel API
//                      error lines), the preamble, /metrics, /diag and /debug/pprof as that version has them.
//                      @default 2025.8.1
//   FAKE_CFD_REPLAY    a recorded transcript of a real cloudflared to play instead (see fake-replay.mjs)
//   FAKE_CFD_HOSTNAME, FAKE_CFD_SEED, FAKE_CFD_TIME_SCALE, FAKE_CFD_STATE_DIR,
//   FAKE_CFD_EDGE_URL + FAKE_CFD_EDGE_SECRET (register hostnames with a fake edge, see startFakeEdge()),
//   FAKE_CFD_INGRESS   named: the remote-managed ingress "configured in Cloudflare", JSON {hostname: service}; the
//                      fake registers its first hostname (unless FAKE_CFD_HOSTNAME) and logs that configuration
//                      instead of one made from --url (startFakeEdge({ ingress }) sets it in edge.env and routes by
//                      it).
// Locally managed named tunnels (`tunnel --config F run <UUID>` without a token): the fake reads F (the YAML subset
// Band writes: `tunnel`, `credentials-file`, `ingress` of hostname/service rules), checks the credentials file as
// cloudflared does (same words, exit 1), and registers every ingress hostname at the fake edge with its service;
// FAKE_CFD_HOSTNAME then names a hostname DNS-routed to the tunnel without a rule (it gets the catch-all).
// `auth-fail` makes the edge refuse the credentials (`Unauthorized: Invalid tunnel secret`), as it does for a
// credentials file without TunnelSecret/AccountTag.
// Edge timing is real (scaled by FAKE_CFD_TIME_SCALE): a QUIC dial to a blocked edge times out after 5 s,
// an http2 dial after 15 s, with `Retrying connection in up to 2s/4s/8s…` in between.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { play, readTranscript, replayApplies } from './fake-replay.mjs';

const env = process.env;
const transcript = env.FAKE_CFD_REPLAY ? readTranscript(env.FAKE_CFD_REPLAY) : undefined;
const VERSION =
  env.FAKE_CFD_VERSION ||
  transcript?.version ||
  /cloudflared-(\d{4}\.\d+\.\d+)/.exec(env.FAKE_CFD_REPLAY ?? '')?.[1] ||
  '2025.8.1';
const atLeast = (v) => {
  const [a, b] = [VERSION, v].map((x) => x.split('.').map(Number));
  return (a[0] - b[0] || a[1] - b[1] || a[2] - b[2]) >= 0;
};
// What changed across versions (tunnel.md §1; the 2023.7.3 transcripts).
const profile = {
  jsonOutput: atLeast('2025.6.1'),
  tokenFile: atLeast('2025.4.0'),
  prechecksFlag: atLeast('2026.5.0'),
  checksum: atLeast('2024.10.0'),
  quickApiErrLine: atLeast('2024.10.0'),
  quicFail: atLeast('2025.3.0') ? 'Failed to dial a quic connection' : 'Failed to create new quic connection',
  serveFail: atLeast('2025.8.0') ? 'failed to serve tunnel connection' : 'Failed to serve tunnel connection',
  diag: atLeast('2024.12.0'),
  pprofForbidden: atLeast('2026.5.0'),
  metricsDefaultPorts: atLeast('2024.12.0'),
  goVersion: atLeast('2025.1.0') ? 'go1.24.4' : atLeast('2024.1.0') ? 'go1.21.5' : 'go1.19.8',
};
const scale = Number(env.FAKE_CFD_TIME_SCALE || '1') || 1;
const ms = (n) => Math.max(0, Math.round(n * scale));
const argv = process.argv.slice(2);

// --- scenarios ---
const scenarios = new Map();
for (const part of (env.FAKE_CFD_SCENARIO || 'ok').split('+')) {
  const [name, value] = part.split('=');
  if (name) scenarios.set(name.trim(), value ?? '');
}
const has = (n) => scenarios.has(n);
const legacy = scenarios.get('legacy');

// --- deterministic randomness (FAKE_CFD_SEED) ---
let seed = env.FAKE_CFD_SEED ? createHash('sha256').update(env.FAKE_CFD_SEED).digest().readUInt32LE(0) : 0;
function rand(n) {
  if (!env.FAKE_CFD_SEED) return randomBytes(n);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed ^ (seed >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    out[i] = seed & 0xff;
  }
  return out;
}
function uuid() {
  const b = rand(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
const WORDS = [
  'buffalo',
  'marco',
  'cardiff',
  'motel',
  'river',
  'lamp',
  'orbit',
  'saddle',
  'quiet',
  'maple',
  'tiger',
  'velvet',
  'harbor',
  'pixel',
  'copper',
  'meadow',
  'violin',
  'canyon',
  'ember',
  'glacier',
];
function words() {
  const b = rand(4);
  return [...b].map((x) => WORDS[x % WORDS.length]).join('-');
}

// --- output: text (zerolog console), --output json, --logfile ---
const ts = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const LEVELS = { debug: ['DBG', 0], info: ['INF', 1], warn: ['WRN', 2], error: ['ERR', 3], fatal: ['FTL', 4] };
let minLevel = 1;
let jsonOutput = false;
let logFile;
function quote(v) {
  if (typeof v !== 'string') return typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[\s\\"]|[^\x20-\x7e]/.test(v) || v === '' ? JSON.stringify(v) : v;
}
function writeErr(line) {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    process.kill(process.pid, 'SIGPIPE');
  }
}
// Go dies with SIGPIPE when stderr is gone.
process.stderr.on('error', () => process.kill(process.pid, 'SIGKILL'));
function log(level, message, fields = {}) {
  const [lvl, rank] = LEVELS[level];
  const time = ts();
  if (logFile) {
    const obj = { level, ...fields, time, message };
    try {
      appendFileSync(logFile, `${JSON.stringify(obj)}\n`);
    } catch {}
  }
  if (rank < minLevel) return;
  if (jsonOutput) {
    const obj = { ...fields, level, message, time };
    const sorted = Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, obj[k]]),
    );
    writeErr(JSON.stringify(sorted));
    return;
  }
  const keys = Object.keys(fields).sort();
  const ordered = keys.includes('error') ? ['error', ...keys.filter((k) => k !== 'error')] : keys;
  const tail = ordered.map((k) => ` ${k}=${quote(fields[k])}`).join('');
  writeErr(`${time} ${lvl} ${message}${tail}`);
}
const bare = (line) => writeErr(line);

// --- state dir (FAKE_CFD_STATE_DIR): argv, env subset and events for assertions ---
const record = { pid: process.pid, argv, env: {}, events: [] };
for (const [k, v] of Object.entries(env))
  if (/^(TUNNEL_|NO_AUTOUPDATE|FAKE_CFD_SCENARIO)/.test(k)) record.env[k] = k === 'TUNNEL_TOKEN' ? '<set>' : v;
function event(name, extra = {}) {
  record.events.push({ name, at: Date.now(), ...extra });
  if (!env.FAKE_CFD_STATE_DIR) return;
  try {
    mkdirSync(env.FAKE_CFD_STATE_DIR, { recursive: true });
    // Whole or not at all: a test reading the record while it is written never sees it empty.
    const recordFile = join(env.FAKE_CFD_STATE_DIR, `${process.pid}.json`);
    writeFileSync(`${recordFile}.tmp`, JSON.stringify(record));
    renameSync(`${recordFile}.tmp`, recordFile);
  } catch {}
}
const sleep = (n) => new Promise((r) => setTimeout(r, ms(n)));

// --- argv parsing with urfave/cli semantics ---
const TUNNEL_FLAGS = new Map(
  Object.entries({
    url: 1,
    metrics: 1,
    loglevel: 1,
    'transport-loglevel': 1,
    'proto-loglevel': 1,
    logfile: 1,
    'log-directory': 1,
    output: 1,
    'no-autoupdate': 0,
    protocol: 1,
    p: 1,
    'edge-ip-version': 1,
    'edge-bind-address': 1,
    'grace-period': 1,
    retries: 1,
    'ha-connections': 1,
    config: 1,
    pidfile: 1,
    'no-prechecks': 0,
    'hello-world': 0,
    'quick-service': 1,
    'no-tls-verify': 0,
    name: 1,
    hostname: 1,
    'stdin-control': 0,
    token: 1,
    'token-file': 1,
  }),
);
const RUN_FLAGS = new Set(['url', 'protocol', 'p', 'token', 'token-file', 'credentials-file']);
if (!profile.jsonOutput) TUNNEL_FLAGS.delete('output');
if (!profile.prechecksFlag) TUNNEL_FLAGS.delete('no-prechecks');
if (!profile.tokenFile) {
  TUNNEL_FLAGS.delete('token-file');
  RUN_FLAGS.delete('token-file');
}
function incorrectUsage(name, colon) {
  process.stdout.write(
    `Incorrect Usage${colon ? ':' : '.'} flag provided but not defined: -${name}\n\nNAME:\n   cloudflared ` +
      `tunnel - Use Cloudflare Tunnel to expose private services to the ` +
      `Internet or to Cloudflare connected private users.\n\nUSAGE:\n` +
      `   cloudflared tunnel [tunnel command options] [arguments...]\n`,
  );
  process.exit(0);
}
function parse(list) {
  const flags = {};
  let run = false;
  let runArg;
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (a === 'run' && !run) {
      run = true;
      continue;
    }
    if (!a.startsWith('-')) {
      if (run) runArg = a;
      continue;
    }
    const [rawName, inline] = a.replace(/^--?/, '').split(/=(.*)/s);
    const name = rawName;
    if (run ? !RUN_FLAGS.has(name) : !TUNNEL_FLAGS.has(name)) incorrectUsage(name, run);
    const arity = TUNNEL_FLAGS.get(name) ?? 1;
    if (arity === 0) flags[name] = inline ?? 'true';
    else flags[name] = inline ?? list[++i] ?? '';
  }
  return { flags, run, runArg };
}

function parseDuration(s) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(s || '');
  if (!m) return 30_000;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

// --- top-level commands ---
const BUILT = `${VERSION.split('.')[0]}-${VERSION.split('.')[1].padStart(2, '0')}-20-1402 UTC`;
if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === '-V') {
  process.stdout.write(`cloudflared version ${VERSION} (built ${BUILT})\n`);
  process.exit(0);
}
if (argv[0] === 'version') {
  process.stdout.write(argv.includes('--short') ? `${VERSION}\n` : `cloudflared version ${VERSION} (built ${BUILT})\n`);
  process.exit(0);
}
if (argv[0] !== 'tunnel') {
  process.stderr.write('fake cloudflared: only `tunnel`, `version` and `--version` are implemented\n');
  process.exit(1);
}
// A recorded transcript takes over when it stands for this argv (same flags, same edge protocol).
const rawProtocol = (() => {
  const i = argv.findIndex((a) => a === '--protocol' || a === '-p' || a.startsWith('--protocol='));
  if (i === -1) return 'quic';
  return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
})();
// FAKE_CFD_REPLAY_MATCH=loose (for other libraries, whose argv never matches ours): a recorded flag the run
// does not pass is ignored, unless the recording is cloudflared refusing that very flag.
const replaying = Boolean(
  transcript &&
    replayApplies(
      transcript,
      argv,
      rawProtocol,
      (f) => TUNNEL_FLAGS.has(f) || RUN_FLAGS.has(f),
      env.FAKE_CFD_REPLAY_MATCH === 'loose',
    ),
);
const { flags, run } = replaying
  ? { flags: parseLoose(argv.slice(1)), run: argv.includes('run') }
  : parse(argv.slice(1));
function parseLoose(list) {
  const out = {};
  for (let i = 0; i < list.length; i++) {
    if (!list[i].startsWith('-')) continue;
    const [name, inline] = list[i].replace(/^--?/, '').split(/=(.*)/s);
    out[name] = inline ?? (list[i + 1]?.startsWith('-') ? 'true' : list[++i]);
  }
  return out;
}
if (flags.loglevel) {
  const lvl = { debug: 0, info: 1, warn: 2, error: 3, fatal: 4 }[flags.loglevel];
  if (lvl === undefined) log('error', `Failed to parse log level "${flags.loglevel}", using "info" instead`);
  else minLevel = lvl;
}
jsonOutput = flags.output === 'json';
logFile = flags.logfile;
if (!run && !flags.url && !flags['hello-world']) {
  process.stderr.write(
    'You did not specify any valid additional argument to the cloudflared tunnel command.\n\n' +
      'If you are trying to run a Quick Tunnel then you need to explicitly pass the --url flag.\n' +
      'See ' +
      'https://developers.cloudflare.com/cloudflare-one/connections/connect-apps/do-more-with-tunnels/trycloudflare/ ' +
      'for more info.\n',
  );
  process.exit(1);
}
if (flags.protocol && !['auto', 'quic', 'http2', 'h2mux'].includes(flags.protocol)) {
  bare(
    `unknown protocol ${flags.protocol}, Available protocols: 'auto' - automatically ` +
      `chooses the best protocol over time (the default; ` +
      `and also the recommended one); 'quic' - based on QUIC, relying on UDP egress to Cloudflare; ` +
      `'http2' - using Go's HTTP2 library, relying on TCP egress to Cloudflare`,
  );
  process.exit(1);
}
const graceMs = parseDuration(flags['grace-period'] || '30s');
if (graceMs > 180_000) {
  bare('grace-period must be equal or less than 3m0s');
  process.exit(1);
}
const origin = flags.url || 'http://localhost:8080';
const named = run;
const hasToken = Boolean(flags.token || flags['token-file'] || env.TUNNEL_TOKEN);
// --config: the YAML subset Band writes (scalars, and `ingress:` as a list of hostname/service maps).
function parseConfig(text) {
  const out = {};
  let list;
  let item;
  const scalar = (v) => {
    const t = v.trim();
    if (t.startsWith('"')) return JSON.parse(t);
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    return t.replace(/\s+#.*$/, '');
  };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s*#.*$/, '');
    if (!line.trim() || line.trim() === '{}') continue;
    const top = /^([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (top) {
      list = undefined;
      if (top[2] === '') out[top[1]] = list = [];
      else out[top[1]] = scalar(top[2]);
      continue;
    }
    const entry = /^\s*(-\s+)?([A-Za-z][\w-]*):\s*(.*)$/.exec(line);
    if (entry && list) {
      if (entry[1]) list.push((item = {}));
      if (item) item[entry[2]] = scalar(entry[3]);
    }
  }
  return out;
}
let fileConfig = {};
if (flags.config) {
  try {
    fileConfig = parseConfig(readFileSync(flags.config, 'utf8'));
  } catch (error) {
    // A missing file reads as an empty config here (recorded argv name files of the recording machine).
    if (error.code !== 'ENOENT') {
      bare(`error parsing YAML in config file at ${flags.config}: ${error.message}`);
      process.exit(1);
    }
  }
}
const localIngress = Array.isArray(fileConfig.ingress) ? fileConfig.ingress : [];
// Remote-managed ingress (a dashboard-created tunnel): the edge sends it; --url is then not what routes requests.
let remoteIngress;
try {
  remoteIngress = env.FAKE_CFD_INGRESS ? Object.entries(JSON.parse(env.FAKE_CFD_INGRESS)) : undefined;
} catch {
  remoteIngress = undefined;
}
const protocol = flags.protocol || flags.p || (named ? 'quic' : 'quic');
event('start', { protocol });

// --- live tunnel state ---
let hostname = '';
let connections = new Map(); // index -> { id, location }
let shuttingDown = false;
let metricsAddress = '';
const requests = 0;
let configVersion = 0;
const connectorId = uuid();
let tunnelId = uuid();
// What this connector routes at the fake edge: [hostname, service]. Quick and token tunnels: one, to --url.
let edgeRoutes = () => (hostname ? [[hostname, origin]] : []);
const edgeLinks = new Map(); // index -> ClientRequest to the fake edge

// Go prints durations as `3s`, `1m30s`, `500ms`.
function goDuration(ms) {
  if (ms < 1000) return `${ms}ms`;
  const m = Math.floor(ms / 60_000);
  const rest = (ms % 60_000) / 1000;
  return `${m ? `${m}m` : ''}${rest || !m ? `${rest}s` : ''}`;
}
function settingsLine() {
  // Flags set from the config file count as set (urfave altsrc), so they show up too.
  const fromFile =
    named && !hasToken && fileConfig['credentials-file'] ? { 'credentials-file': fileConfig['credentials-file'] } : {};
  const entries = Object.entries({ ...fromFile, ...flags })
    .filter(([k]) => k !== 'token')
    .map(([k, v]) => `${k}:${k === 'grace-period' ? goDuration(parseDuration(v)) : v}`);
  if (!named) entries.push('ha-connections:1');
  if (!flags.protocol && !named) entries.push('protocol:quic');
  return `Settings: map[${entries.sort().join(' ')}]`;
}

async function preamble() {
  if (legacy !== '2022' && profile.checksum)
    log('info', `Version ${VERSION} (Checksum ${createHash('sha256').update(VERSION).digest('hex')})`);
  else log('info', `Version ${VERSION}`);
  log('info', `GOOS: ${process.platform}, GOVersion: ${profile.goVersion}, GoArch: amd64`);
  log('info', settingsLine());
  const tunnelEnv = Object.keys(env).filter((k) => k.startsWith('TUNNEL_'));
  if (tunnelEnv.length && profile.checksum)
    log(
      'info',
      `Environmental variables map[${tunnelEnv
        .sort()
        .map((k) => `${k}:${/TOKEN/.test(k) ? '*****' : env[k]}`)
        .join(' ')}]`,
    );
  log('info', `Generated Connector ID: ${connectorId}`);
  if (!profile.checksum) log('warn', 'Unable to lookup protocol percentage.');
  log('info', `Initial protocol ${protocol}`);
  if (!profile.checksum) {
    log('info', 'ICMP proxy will use 0.0.0.0 as source for IPv4');
    log('info', 'ICMP proxy will use ::1 in zone lo as source for IPv6');
  }
  log(
    'warn',
    'The user running cloudflared process has a GID (group ID) that is not within ping_group_range. ' +
      'You might need to add that user to a group within that range, or instead update the range to ' +
      'encompass a group the user is already in by modifying /proc/sys/net/ipv4/ping_group_range. ' +
      'Otherwise cloudflared will not be able to ping this network',
  );
  log('warn', 'ICMP proxy feature is disabled', {
    error:
      'cannot create ICMPv4 proxy: Group ID 0 is not between ping ' +
      'group 1 to 0 nor ICMPv6 proxy: socket: permission denied',
  });
  if (legacy === '2026.5') {
    const rows = [
      '+----------------------------------------------------------------------------+',
      '|                          CONNECTIVITY PRE-CHECKS                           |',
      '+--------------+-------------------------------+--------+--------------------+',
      '| COMPONENT    | TARGET                        | STATUS | DETAILS            |',
      '| DNS          | region1.v2.argotunnel.com     | PASS   |                    |',
      '| UDP          | region1.v2.argotunnel.com:7844 | PASS  |                    |',
      '| TCP          | region1.v2.argotunnel.com:7844 | PASS  |                    |',
      '+--------------+-------------------------------+--------+--------------------+',
      '| SUMMARY: all checks passed                                                 |',
      '+----------------------------------------------------------------------------+',
    ];
    if (!flags['no-prechecks']) for (const r of rows) log('info', r);
  }
}

// --- metrics server ---
function metricsText() {
  const lines = [
    '# HELP build_info Build and version information',
    '# TYPE build_info gauge',
    `build_info{goversion="go1.24.4",revision="2025-08-20-14:02 UTC",type="",version="${VERSION}"} 1`,
    '# HELP cloudflared_tunnel_ha_connections Number of active ha connections',
    '# TYPE cloudflared_tunnel_ha_connections gauge',
    `cloudflared_tunnel_ha_connections ${connections.size}`,
    `cloudflared_tunnel_total_requests ${requests}`,
  ];
  if (hostname) lines.push(`cloudflared_tunnel_user_hostnames_counts{userHostname="https://${hostname}"} 1`);
  for (const [i, c] of connections)
    lines.push(`cloudflared_tunnel_server_locations{connection_id="${i}",edge_location="${c.location}"} 1`);
  // The real body (~10 KB) is mostly Go runtime and process collectors.
  for (const q of ['0', '0.25', '0.5', '0.75', '1'])
    lines.push(`go_gc_duration_seconds{quantile="${q}"} 0.000${q.replace('.', '')}1`);
  const mem = process.memoryUsage();
  for (const [k, v] of Object.entries({
    alloc_bytes: mem.heapUsed,
    heap_alloc_bytes: mem.heapUsed,
    heap_sys_bytes: mem.heapTotal,
    sys_bytes: mem.rss,
  }))
    lines.push(`# HELP go_memstats_${k} Number of bytes.`, `# TYPE go_memstats_${k} gauge`, `go_memstats_${k} ${v}`);
  for (let i = 0; i < 60; i++)
    lines.push(`# HELP quic_client_metric_${i} QUIC client statistics.`, `quic_client_metric_${i}{conn_index="0"} 0`);
  lines.push(`process_resident_memory_bytes ${mem.rss}`, `process_start_time_seconds ${Math.floor(Date.now() / 1000)}`);
  return `${lines.join('\n')}\n`;
}
function handleMetrics(req, res) {
  const url = new URL(req.url, 'http://x');
  const send = (status, body, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { 'content-type': type });
    res.end(body);
  };
  if (req.method === 'POST' && url.pathname.startsWith('/__fake/')) {
    const what = url.pathname.slice('/__fake/'.length);
    send(200, 'ok\n');
    if (what === 'drop') dropConnections(Number(url.searchParams.get('downMs') ?? '0') || Infinity);
    else if (what === 'reconnect') void registerAll(true);
    else if (what === 'crash') crash();
    else if (what === 'exit') setImmediate(() => process.exit(Number(url.searchParams.get('code') ?? '1')));
    return;
  }
  switch (url.pathname) {
    case '/ready': {
      const n = shuttingDown ? 0 : connections.size;
      return send(n > 0 ? 200 : 503, JSON.stringify({ status: n > 0 ? 200 : 503, readyConnections: n, connectorId }));
    }
    case '/quicktunnel':
      return send(200, JSON.stringify({ hostname: named ? '' : hostname }));
    case '/healthcheck':
      return send(200, 'OK\n');
    case '/metrics':
      return send(200, metricsText(), 'text/plain; version=0.0.4; charset=utf-8');
    case '/config':
      if (named && !hasToken) return send(200, JSON.stringify({ version: -1, config: { ingress: localIngress } }));
      return send(
        200,
        JSON.stringify({
          version: configVersion,
          config: { ingress: named && remoteIngress?.length ? ingressRules() : [{ service: origin }] },
        }),
      );
    case '/diag/tunnel':
      if (!profile.diag) return send(404, '404 page not found\n');
      return send(
        200,
        JSON.stringify({
          tunnelID: tunnelId,
          connectorID: connectorId,
          connections: [...connections].map(([index, c]) => ({
            isConnected: true,
            protocol: protocol === 'http2' ? 0 : 1,
            edgeAddress: c.ip,
            index,
          })),
          icmp_sources: [],
        }),
      );
    case '/debug/pprof/cmdline':
      // Before 2026.5 this leaked the whole argv (tokens included): one more reason to keep them off argv.
      return profile.pprofForbidden ? send(403, 'forbidden\n') : send(200, [process.argv[1], ...argv].join('\0'));
    default:
      return send(404, '404 page not found\n');
  }
}
function listenMetrics() {
  return new Promise((resolve) => {
    const spec = flags.metrics || 'localhost:0';
    const i = spec.lastIndexOf(':');
    const host = spec.slice(0, i).replace(/^\[|\]$/g, '') || 'localhost';
    const port = Number(spec.slice(i + 1));
    const server = http.createServer(handleMetrics);
    const candidates =
      port === 0 && (host === 'localhost' || host === '0.0.0.0') && legacy !== '2022' && profile.metricsDefaultPorts
        ? [20241, 20242, 20243, 20244, 20245, 0]
        : [port];
    const tryNext = () => {
      const p = candidates.shift();
      if (p === undefined) return resolve(undefined);
      server.once('error', (error) => {
        if (candidates.length) return tryNext();
        resolve({ error });
      });
      server.listen(p, host === 'localhost' ? '127.0.0.1' : host, () => resolve({ server }));
    };
    if (has('metrics-port-busy')) {
      const p = port || 20241;
      return resolve({ error: { message: `listen tcp ${host}:${p}: bind: address already in use`, port: p } });
    }
    tryNext();
  }).then((r) => {
    if (!r || r.error) {
      const addr = flags.metrics || 'localhost:20241';
      const detail = `failed to bind to address (${addr}): ${r?.error?.message ?? 'bind: address already in use'}`;
      log('error', 'Error opening metrics server listener', { error: detail });
      bare(`Error opening metrics server listener: ${detail}`);
      process.exit(1);
    }
    r.server.unref();
    const a = r.server.address();
    metricsAddress = a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
    log('info', `Starting metrics server on ${metricsAddress}/metrics`);
    event('metrics', { address: metricsAddress });
  });
}

// --- edge registration (FAKE_CFD_EDGE_URL): a long-lived request per connection; it ends when we die ---
function registerWithEdge(index, id) {
  if (!env.FAKE_CFD_EDGE_URL) return;
  for (const [host, service] of edgeRoutes()) registerRoute(index, id, host, service);
}
function registerRoute(index, id, host, service) {
  const edge = new URL('/__edge/connect', env.FAKE_CFD_EDGE_URL);
  const lib = edge.protocol === 'https:' ? https : http;
  const req = lib.request(edge, {
    method: 'POST',
    rejectUnauthorized: false,
    headers: {
      'content-type': 'application/json',
      'x-fake-edge-secret': env.FAKE_CFD_EDGE_SECRET || '',
    },
  });
  req.on('error', () => {});
  req.on('response', (res) => res.resume());
  const local = named && !hasToken;
  const registration = { hostname: host, origin: service, connection: id, index, pid: process.pid };
  req.write(`${JSON.stringify({ ...registration, ...(local ? { local: true } : {}) })}\n`);
  req.flushHeaders();
  edgeLinks.set(`${index} ${host}`, req);
}
function unregisterFromEdge(index) {
  for (const [key, req] of edgeLinks) {
    if (!key.startsWith(`${index} `)) continue;
    edgeLinks.delete(key);
    req.destroy();
  }
}

const LOCATIONS = ['lax05', 'sjc06', 'tpe01', 'ams08'];
const IPS = ['198.41.192.77', '198.41.200.13', '198.41.192.107', '198.41.200.233'];
function register(index) {
  const id = uuid();
  const location = legacy === '2022' ? LOCATIONS[index % 4].slice(0, 3).toUpperCase() : LOCATIONS[index % 4];
  const ip = IPS[index % 4];
  if (legacy !== '2022' && atLeast('2025.5.0'))
    log('info', 'Tunnel connection curve preferences: [X25519MLKEM768 CurveP256]', { connIndex: index, event: 0, ip });
  connections.set(index, { id, location, ip });
  if (legacy === '2022' || !atLeast('2023.4.1'))
    log('info', `Connection ${id} registered with protocol: ${protocol}`, { connIndex: index, ip, location });
  else
    log('info', 'Registered tunnel connection', { connIndex: index, connection: id, event: 0, ip, location, protocol });
  event('registered', { index, id });
  registerWithEdge(index, id);
  if (index === 0 && flags.pidfile) {
    try {
      writeFileSync(flags.pidfile, String(process.pid));
    } catch {}
  }
  if (has('origin-errors')) probeOrigin(index);
}
function connectionCount() {
  if (named) return 4;
  return legacy === '2022' || !atLeast('2023.4.0') ? 4 : 1;
}
async function registerAll(again = false) {
  const n = connectionCount();
  for (let i = 0; i < n; i++) {
    if (shuttingDown) return;
    if (connections.has(i)) continue;
    register(i);
    if (i < n - 1) await sleep(again ? 50 : 1000);
  }
}
function dropConnections(downMs) {
  for (const [index] of connections) {
    log(connections.size > 1 ? 'warn' : 'error', profile.serveFail, {
      error: 'timeout: no recent network activity',
      connIndex: index,
      event: 0,
      ip: IPS[index % 4],
    });
    log('info', 'Retrying connection in up to 2s', { connIndex: index, event: 0, ip: IPS[index % 4] });
    unregisterFromEdge(index);
  }
  connections = new Map();
  event('dropped');
  if (Number.isFinite(downMs)) setTimeout(() => void registerAll(true), ms(downMs));
}
function probeOrigin(index) {
  const u = new URL(origin);
  const sock = net.connect(Number(u.port || 80), u.hostname);
  sock.on('connect', () => sock.destroy());
  sock.on('error', (error) => {
    const ray = `${rand(8).toString('hex')}-LAX`;
    log('error', '', {
      error:
        `Unable to reach the origin service. The service may be down or it may not be responding to ` +
        `traffic from cloudflared: dial tcp ${u.host}: ` +
        `connect: ${error.code === 'ECONNREFUSED' ? 'connection refused' : error.message}`,
      cfRay: ray,
      connIndex: index,
      event: 1,
      ingressRule: 0,
      originService: origin,
    });
  });
}
// A blocked edge, with real timing: each dial waits for its timeout (QUIC 5 s, TCP 15 s), then
// `Retrying connection in up to Ns` sleeps a random time below N (2s, 4s, … capped at 1m4s).
function edgeErrorLoop(label) {
  let attempt = 0;
  const dialMs = protocol === 'http2' ? 15_000 : 5_000;
  const tick = () => {
    if (shuttingDown) return;
    const ip = `198.41.192.${[77, 107, 27, 67][attempt % 4]}`;
    if (protocol === 'http2') {
      const error = `DialContext error: dial tcp ${ip}:7844: i/o timeout`;
      log('error', 'Unable to establish connection with Cloudflare edge', { error, connIndex: 0, event: 0, ip });
      log('error', 'Serve tunnel error', { error, connIndex: 0, event: 0, ip });
    } else
      log('error', profile.quicFail, {
        error: 'failed to dial to edge with quic: timeout: no recent network activity',
        connIndex: 0,
        event: 0,
        ip,
      });
    const upTo = Math.min(64, 2 ** (attempt + 1));
    log('info', `Retrying connection in up to ${upTo >= 64 ? '1m4s' : `${upTo}s`}`, { connIndex: 0, event: 0, ip });
    if (attempt === 2 && protocol === 'quic' && !named && atLeast('2024.1.0'))
      log(
        'warn',
        'If this log occurs persistently, and cloudflared is unable to connect to Cloudflare Network with ' +
          '`quic` protocol, then most likely your machine/network is getting its egress UDP to port 7844 ' +
          '(or others) blocked or dropped. Make sure to allow egress connection through UDP ' +
          'to port 7844 (or others) or try connecting with `--protocol http2` for a moment.',
      );
    attempt++;
    event('edge-error', { label });
    const backoff = (rand(1)[0] / 256) * upTo * 1000;
    setTimeout(tick, ms(backoff + dialMs));
  };
  setTimeout(tick, ms(dialMs));
}

// The edge refuses the tunnel's credentials (`error` says how); cloudflared retries every 2 s until stopped.
function unauthorizedLoop(error) {
  const loop = () => {
    if (shuttingDown) return;
    log('error', 'Register tunnel error from server side', { error, connIndex: 0, event: 0, ip: IPS[0] });
    log('info', 'Retrying connection in up to 2s', { connIndex: 0, event: 0, ip: IPS[0] });
    setTimeout(loop, ms(200));
  };
  loop();
}

// --- signals ---
let signalsInstalled = false;
function installSignals() {
  if (signalsInstalled) return;
  signalsInstalled = true;
  const onSignal = (sig) => {
    event('signal', { sig });
    if (has('ignore-sigterm')) {
      log('info', `Ignoring signal ${sig === 'SIGINT' ? 'interrupt' : 'terminated'} (fake ignore-sigterm)`);
      return;
    }
    // First signal: graceful; cloudflared stops listening, so a second one kills by default.
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    void gracefulShutdown(sig);
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
async function gracefulShutdown(sig) {
  shuttingDown = true;
  log('info', `Initiating graceful shutdown due to signal ${sig === 'SIGINT' ? 'interrupt' : 'terminated'} ...`);
  const hadConnections = connections.size > 0;
  for (const [index, c] of connections) {
    log('info', 'Unregistered tunnel connection', { connIndex: index, event: 0, ip: c.ip });
    unregisterFromEdge(index);
  }
  connections = new Map();
  // In-flight streams would hold us up to the grace period; the fake has none, so a short pause.
  await new Promise((r) => setTimeout(r, Math.min(graceMs, ms(100))));
  if (hadConnections) log('error', 'no more connections active and exiting');
  log('info', 'Tunnel server stopped');
  log('info', 'Metrics server stopped');
  event('exit', { code: 0 });
  process.exit(0);
}
function crash() {
  event('crash');
  bare('panic: runtime error: invalid memory address or nil pointer dereference');
  bare('[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x1a2b3c]');
  bare('');
  bare('goroutine 1 [running]:');
  bare('github.com/cloudflare/cloudflared/supervisor.(*Supervisor).Run(0xc000123456)');
  process.exit(2);
}

function scheduleFailures() {
  if (scenarios.has('crash-after')) setTimeout(crash, ms(Number(scenarios.get('crash-after')) || 500));
  if (scenarios.has('exit-after')) {
    const [after, code] = scenarios.get('exit-after').split(':');
    setTimeout(
      () => {
        log('error', 'Initiating shutdown', { error: 'fake exit-after' });
        bare('fake exit-after');
        process.exit(Number(code ?? '1'));
      },
      ms(Number(after) || 500),
    );
  }
  if (scenarios.has('autoupdate-after'))
    setTimeout(
      () => {
        log('info', `cloudflared has been updated to version 2026.8.2`);
        process.exit(11);
      },
      ms(Number(scenarios.get('autoupdate-after')) || 500),
    );
  if (scenarios.has('drop-after')) {
    const [after, down] = scenarios.get('drop-after').split(',');
    setTimeout(() => dropConnections(Number(down) || 500), ms(Number(after) || 500));
  }
}

// --- quick tunnel ---
async function quick() {
  log(
    'info',
    'Thank you for trying Cloudflare Tunnel. Doing so, without a Cloudflare account, is a quick way ' +
      'to experiment and try it out. However, be aware that these account-less Tunnels have no uptime ' +
      'guarantee, are subject to the Cloudflare Online Services ' +
      'Terms of Use (https://www.cloudflare.com/website-terms/), ' +
      'and Cloudflare reserves the right to investigate your use of Tunnels for violations of such terms. ' +
      'If you intend to use Tunnels in production you should use a pre-created named tunnel ' +
      'by following: https://developers.cloudflare.com/cloudflare-one/connections/connect-apps',
  );
  log('info', 'Requesting new quick Tunnel on trycloudflare.com...');
  const api = flags['quick-service'] || 'https://api.trycloudflare.com';
  // Before 2024.10 only the bare last line is printed: no body, no status.
  if (has('rate-limit')) {
    await sleep(300);
    if (profile.quickApiErrLine)
      log('error', 'Error unmarshaling QuickTunnel response: error code: 1015', {
        error: "invalid character 'e' looking for beginning of value",
        status_code: '429 Too Many Requests',
      });
    bare("failed to unmarshal quick Tunnel: invalid character 'e' looking for beginning of value");
    event('exit', { code: 1 });
    process.exit(1);
  }
  if (has('api-5xx-html')) {
    await sleep(200);
    if (profile.quickApiErrLine)
      log(
        'error',
        'Error unmarshaling QuickTunnel response: ' +
          '<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head></html>',
        { error: "invalid character '<' looking for beginning of value", status_code: '500 Internal Server Error' },
      );
    bare("failed to unmarshal quick Tunnel: invalid character '<' looking for beginning of value");
    process.exit(1);
  }
  if (has('api-json-error')) {
    await sleep(200);
    bare('failed to parse quick Tunnel ID: invalid UUID length: 0');
    process.exit(1);
  }
  if (has('offline') || has('no-dns')) {
    await sleep(100);
    bare(
      `failed to request quick Tunnel: Post "${api}/tunnel": dial tcp: ` +
        `lookup api.trycloudflare.com on 127.0.0.53:53: no such host`,
    );
    process.exit(1);
  }
  if (has('api-timeout')) {
    await sleep(Number(scenarios.get('api-timeout')) || 15_000);
    bare(
      `failed to request quick Tunnel: Post "${api}/tunnel": context deadline exceeded ` +
        `(Client.Timeout exceeded while awaiting headers)`,
    );
    process.exit(1);
  }
  await sleep(150);
  hostname = env.FAKE_CFD_HOSTNAME || `${words()}.trycloudflare.com`;
  const url = `https://${hostname}`;
  const header = 'Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):';
  const L = Math.max(header.length, url.length);
  const border = `+${'-'.repeat(L + 4)}+`;
  log('info', border);
  log('info', `|  ${header.padEnd(L)}  |`);
  log('info', `|  ${url.padEnd(L)}  |`);
  log('info', border);
  event('url', { url });
  installSignals();
  if (!flags.config)
    log(
      'info',
      'Cannot determine default configuration path. No file [config.yml config.yaml] in ' +
        '[~/.cloudflared ~/.cloudflare-warp ~/cloudflare-warp /etc/cloudflared /usr/local/etc/cloudflared]',
    );
  await preamble();
  await listenMetrics();
  scheduleFailures();
  if (has('edge-unreachable') || (has('quic-blocked') && protocol !== 'http2'))
    return edgeErrorLoop(has('edge-unreachable') ? 'edge-unreachable' : 'quic-blocked');
  await sleep(Number(scenarios.get('slow-register')) || 100);
  await registerAll();
}

// No DNS at all: the SRV lookup of the edge fails twice, cloudflared shuts down and exits 1 (e4b).
async function noDnsShutdown() {
  const srv = '_v2-origintunneld._tcp.argotunnel.com';
  const cause = `lookup ${srv} on 127.0.0.53:53: dial udp 127.0.0.53:53: connect: network is unreachable`;
  for (let i = 0; i < 2; i++) {
    log('error', 'edge discovery: error looking up Cloudflare edge IPs: the DNS query failed', {
      error: cause,
      event: 0,
    });
    for (const hint of [
      'Please try the following things to diagnose this issue:',
      '  1. ensure that argotunnel.com is returning "origintunneld" service records.',
      "     Run your system's equivalent of: dig srv _origintunneld._tcp.argotunnel.com",
      '  2. ensure that your DNS resolver is not returning compressed SRV records.',
    ])
      log('error', hint, { event: 0 });
    await sleep(20);
  }
  log('info', 'Tunnel server stopped');
  log('error', 'Initiating shutdown', { error: `Could not lookup srv records on ${srv}: ${cause}` });
  await listenMetrics();
  await sleep(500);
  log('info', 'Metrics server stopped');
  bare(`Could not lookup srv records on ${srv}: ${cause}`);
  process.exit(1);
}

// --- named tunnel ---
/** The remote-managed ingress as cloudflared logs it: each public hostname, then the dashboard's 404 catch-all. */
function ingressRules() {
  return [...remoteIngress.map(([h, service]) => ({ hostname: h, service })), { service: 'http_status:404' }];
}
function readToken() {
  if (flags.token) return flags.token;
  if (flags['token-file']) {
    try {
      return readFileSync(flags['token-file'], 'utf8').trim();
    } catch {
      bare(`Failed to read token file ${flags['token-file']}`);
      process.exit(1);
    }
  }
  return env.TUNNEL_TOKEN;
}
async function namedTunnel() {
  if (!hasToken) return localTunnel();
  const token = readToken();
  let parsed;
  try {
    parsed = JSON.parse(Buffer.from(token || '', 'base64').toString('utf8'));
    if (!parsed.a || !parsed.t || !parsed.s) throw new Error('missing fields');
  } catch {
    bare('Provided Tunnel token is not valid.');
    bare("See 'cloudflared tunnel run --help'.");
    process.exit(255);
  }
  log('info', 'Starting tunnel', { tunnelID: parsed.t });
  installSignals();
  await preamble();
  if (has('no-dns')) return noDnsShutdown();
  await listenMetrics();
  scheduleFailures();
  hostname = env.FAKE_CFD_HOSTNAME || remoteIngress?.[0]?.[0] || '';
  if (has('auth-fail')) return unauthorizedLoop('Unauthorized: Failed to get tunnel');
  if (has('edge-unreachable') || (has('quic-blocked') && protocol !== 'http2'))
    return edgeErrorLoop(has('edge-unreachable') ? 'edge-unreachable' : 'quic-blocked');
  await sleep(Number(scenarios.get('slow-register')) || 100);
  register(0);
  configVersion = 3;
  const ingress = remoteIngress?.length
    ? ingressRules()
    : [{ hostname: hostname || 'app.example.com', service: origin }, { service: 'http_status:404' }];
  log('info', 'Updated to new configuration', {
    config: JSON.stringify({ ingress, 'warp-routing': { enabled: false } }),
    version: configVersion,
  });
  for (let i = 1; i < 4 && !shuttingDown; i++) {
    await sleep(1000);
    if (!shuttingDown && !connections.has(i)) register(i);
  }
}

// --- locally managed named tunnel: `tunnel --config F run <UUID>`, credentials file, ingress from F ---
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function usageError(message) {
  bare(message);
  bare("See 'cloudflared tunnel run --help'.");
  process.exit(255);
}
/**
 * cloudflared's credential finder: the configured path must be a file; else <id>.json in ~/.cloudflared and friends.
 */
function credentialsPath(id) {
  const configured = flags['credentials-file'] || fileConfig['credentials-file'];
  const isFile = (p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  if (configured) {
    if (isFile(configured)) return configured;
    bare(`Tunnel credentials file '${configured}' doesn't exist or is not a file`);
    process.exit(1);
  }
  for (const dir of [
    join(homedir(), '.cloudflared'),
    join(homedir(), '.cloudflare-warp'),
    join(homedir(), 'cloudflare-warp'),
    '/etc/cloudflared',
    '/usr/local/etc/cloudflared',
  ]) {
    if (isFile(join(dir, `${id}.json`))) return join(dir, `${id}.json`);
  }
  bare('tunnel credentials file not found');
  process.exit(1);
}
function readCredentials(path) {
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    bare(
      `couldn't read tunnel credentials from ${path}: ` +
        `open ${path}: ${error.code === 'EACCES' ? 'permission denied' : error.message}`,
    );
    process.exit(1);
  }
  let creds;
  let jsonError;
  try {
    creds = JSON.parse(text);
    if (!creds || typeof creds !== 'object' || Array.isArray(creds))
      throw new Error('json: cannot unmarshal array into Go value of type connection.Credentials');
    const key = Object.keys(creds).find((k) => k.toLowerCase() === 'tunnelsecret');
    // TunnelSecret is a []byte: Go decodes it from base64.
    if (key && (typeof creds[key] !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(creds[key]) || creds[key].length % 4))
      throw new Error('illegal base64 data at input byte 0');
  } catch (error) {
    jsonError = error instanceof SyntaxError ? 'invalid character looking for beginning of value' : error.message;
  }
  if (jsonError) {
    if (path.endsWith('.pem')) {
      bare(
        'The tunnel credentials file should be .json but you gave a .pem. The tunnel credentials file ' +
          'was originally created by `cloudflared tunnel create`. You may have accidentally ' +
          'used the filepath to cert.pem, which is generated by `cloudflared tunnel login`.',
      );
      process.exit(1);
    }
    log(
      'error',
      `The credentials file at ${path} contained invalid JSON. This is probably ` +
        `caused by passing the wrong filepath. ` +
        `Reminder: the credentials file is a .json file created via \`cloudflared tunnel create\`.`,
    );
    log('error', `Invalid JSON when parsing credentials file: ${jsonError}`);
    bare('Invalid JSON when parsing tunnel credentials file');
    process.exit(1);
  }
  const get = (name) => creds[Object.keys(creds).find((k) => k.toLowerCase() === name.toLowerCase())];
  return {
    accountTag: get('AccountTag'),
    secret: get('TunnelSecret'),
    tunnelId: get('TunnelID'),
    tunnelName: get('TunnelName'),
  };
}
async function localTunnel() {
  const ref =
    argv.slice(argv.indexOf('run') + 1).find((a) => !a.startsWith('-') && !isFlagValue(a)) || fileConfig.tunnel;
  if (!ref)
    usageError(
      '"cloudflared tunnel run" requires the ID or name of the tunnel to ' +
        'run as the last command line argument or in the configuration file.',
    );
  let id = UUID_RE.test(ref) ? ref.toLowerCase() : undefined;
  if (!id) {
    // A name: the credentials file may say which tunnel it is; else cloudflared asks the API (needs cert.pem).
    const configured = flags['credentials-file'] || fileConfig['credentials-file'];
    const creds = configured
      ? (() => {
          try {
            return readCredentials(configured);
          } catch {
            return undefined;
          }
        })()
      : undefined;
    if (creds?.tunnelName === ref && UUID_RE.test(creds.tunnelId ?? '')) id = creds.tunnelId.toLowerCase();
    else {
      bare(
        `error parsing tunnel ID: Error locating origin cert: Cannot determine default origin certificate path. ` +
          `No file cert.pem in [~/.cloudflared ~/.cloudflare-warp ~/cloudflare-warp /etc/cloudflared ` +
          `/usr/local/etc/cloudflared]. You need to specify the origin certificate path by specifying the ` +
          `origincert option in the configuration file, or set TUNNEL_ORIGIN_CERT environment variable originCertPath=`,
      );
      process.exit(1);
    }
  }
  tunnelId = id;
  log('info', 'Starting tunnel', { tunnelID: id });
  const creds = readCredentials(credentialsPath(id));
  installSignals();
  await preamble();
  // Ingress from the config file: the last rule must catch everything (ingress.go).
  const last = localIngress.at(-1);
  if (localIngress.length && (last.hostname || last.path)) {
    const message = 'The last ingress rule must match all URLs (i.e. it should not have a hostname or path filter)';
    log('error', "Couldn't start tunnel", { error: message });
    bare(message);
    process.exit(1);
  }
  const rules = localIngress.length ? localIngress : [{ service: 'http_status:503' }];
  const catchAll = rules.at(-1).service;
  edgeRoutes = () => {
    const routes = rules.filter((r) => r.hostname).map((r) => [String(r.hostname).toLowerCase(), r.service]);
    const dnsRouted = env.FAKE_CFD_HOSTNAME?.toLowerCase();
    if (dnsRouted && !routes.some(([h]) => h === dnsRouted)) routes.push([dnsRouted, catchAll]);
    return routes;
  };
  hostname = edgeRoutes()[0]?.[0] ?? '';
  if (has('no-dns')) return noDnsShutdown();
  await listenMetrics();
  scheduleFailures();
  if (has('auth-fail') || !creds.secret || !creds.accountTag)
    return unauthorizedLoop('Unauthorized: Invalid tunnel secret');
  if (has('edge-unreachable') || (has('quic-blocked') && protocol !== 'http2'))
    return edgeErrorLoop(has('edge-unreachable') ? 'edge-unreachable' : 'quic-blocked');
  await sleep(Number(scenarios.get('slow-register')) || 100);
  // A locally managed tunnel has no remote configuration: no `Updated to new configuration` line.
  for (let i = 0; i < 4 && !shuttingDown; i++) {
    if (i) await sleep(1000);
    if (!shuttingDown && !connections.has(i)) register(i);
  }
}
/** Whether `a` (after `run`) is the value of a flag, not the tunnel reference. */
function isFlagValue(a) {
  const list = argv.slice(argv.indexOf('run') + 1);
  const i = list.indexOf(a);
  const prev = list[i - 1];
  return Boolean(
    prev?.startsWith('-') && !prev.includes('=') && (TUNNEL_FLAGS.get(prev.replace(/^--?/, '')) ?? 1) === 1,
  );
}

// --- replay (FAKE_CFD_REPLAY): the recorded lines, with their timing and exit ---
function replay() {
  event('replay', { file: env.FAKE_CFD_REPLAY });
  const out = (stream, text) => {
    if (stream === 'stdout') process.stdout.write(`${text}\n`);
    else writeErr(text);
  };
  const stopTimeline = play(transcript, scale, {
    async line(stream, text) {
      const banner = /\|\s+https:\/\/([a-z0-9-]+\.trycloudflare\.com)\s+\|/.exec(text);
      if (banner) {
        hostname = banner[1];
        event('url', { url: `https://${hostname}` });
      }
      if (/Registered tunnel connection|Connection [0-9a-f-]{36} registered/.test(text)) {
        connections.set(connections.size, { id: uuid(), location: 'lax05', ip: IPS[0] });
        event('registered', { index: connections.size - 1 });
      }
      const metrics = /Starting metrics server on (\S+)\/metrics/.exec(text);
      if (metrics) {
        // Serve the metrics for real, on the address we were given, and print where.
        const quiet = minLevel;
        minLevel = 99;
        await listenMetrics();
        minLevel = quiet;
        text = text.replace(metrics[1], metricsAddress);
      }
      out(stream, text);
      // cloudflared installs its signal handlers once the tunnel server starts (after the banner).
      if (/Starting tunnel|Your quick Tunnel has been created|Version \d/.test(text)) installReplaySignals();
    },
    exit(code, signal) {
      event('exit', { code, signal });
      if (signal) process.kill(process.pid, signal);
      else process.exit(code ?? 0);
    },
  });
  let installed = false;
  function installReplaySignals() {
    if (installed) return;
    installed = true;
    const onSignal = async (sig) => {
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      stopTimeline();
      shuttingDown = true;
      event('signal', { sig });
      const lines = transcript.shutdown.length
        ? transcript.shutdown
        : [
            `Initiating graceful shutdown due to signal ${sig === 'SIGINT' ? 'interrupt' : 'terminated'} ...`,
            'Tunnel server stopped',
            'Metrics server stopped',
          ].map((t) => ({
            stream: 'stderr',
            text: `${ts()} INF ${t}`,
          }));
      for (const l of lines) out(l.stream, l.text);
      await new Promise((r) => setTimeout(r, Math.min(graceMs, ms(50))));
      process.exit(0);
    };
    process.on('SIGTERM', () => void onSignal('SIGTERM'));
    process.on('SIGINT', () => void onSignal('SIGINT'));
  }
}

// A real cloudflared runs until told otherwise.
setInterval(() => {}, 1 << 30);
if (replaying) replay();
else
  (named ? namedTunnel() : quick()).catch((error) => {
    bare(String(error?.stack ?? error));
    process.exit(1);
  });
