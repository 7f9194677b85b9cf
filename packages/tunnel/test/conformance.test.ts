// The fake at version 2023.7.3 against what the real cloudflared 2023.7.3 printed in the same situation
// (test/fixtures/cloudflared-2023.7.3), line class by line class, stream by stream, exit by exit.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { fakeCloudflaredPath, fakeTunnelToken } from '../src/testing/index.js';
import { readTranscript } from '../src/testing/fake-replay.mjs';
import { transcriptsDir } from './fixtures/transcript-cases.mjs';
import { tempDir } from './helpers.js';

const SCALE = 0.1;

/** What a line is, whatever its timestamp, ids, addresses or exact wording. */
const CLASSES: [string, RegExp][] = [
  ['disclaimer', /^Thank you for trying Cloudflare Tunnel/],
  ['requesting', /^Requesting new quick Tunnel/],
  ['banner', /^(\+-+\+|\|\s.*\|)$/],
  ['starting-tunnel', /^Starting tunnel tunnelID=/],
  ['version', /^Version \d/],
  ['goos', /^GOOS: /],
  ['settings', /^Settings: map\[/],
  ['connector', /^Generated Connector ID: /],
  ['protocol-percentage', /^Unable to lookup protocol percentage/],
  ['initial-protocol', /^Initial protocol /],
  ['icmp', /ICMP proxy|ping_group_range/],
  ['metrics', /^Starting metrics server on /],
  ['quic-failure', /^Failed to create new quic connection/],
  ['http2-failure', /^Unable to establish connection with Cloudflare edge/],
  ['serve-error', /^Serve tunnel error/],
  ['retrying', /^Retrying connection in up to \d+s/],
  ['graceful-shutdown', /^Initiating graceful shutdown due to signal/],
  ['server-stopped', /^Tunnel server stopped/],
  ['metrics-stopped', /^Metrics server stopped/],
  ['no-more-connections', /^no more connections active and exiting/],
  ['api-offline', /^failed to request quick Tunnel: /],
  ['api-unmarshal', /^failed to unmarshal quick Tunnel: invalid character '(.)'/],
  ['usage', /^Incorrect Usage[.:] flag provided but not defined: -\S+$/],
  ['edge-dns', /^edge discovery: error looking up Cloudflare edge IPs/],
  ['edge-dns-help', /Please try the following|ensure that|Run your system|See GitHub issue|1\.1\.1\.1/],
  ['shutdown-error', /^Initiating shutdown$/],
  ['srv-bare', /^Could not lookup srv records on _v2-origintunneld/],
  ['token-invalid', /^Provided Tunnel token is not valid\.$/],
  ['see-help', /^See 'cloudflared tunnel run --help'\.$/],
];
// Depends on the network the recording had, not on the version: left out of the comparison.
const IGNORED = /update check failed|^\s*$/;

function classify(stream: string, text: string): string | undefined {
  if (IGNORED.test(text)) return undefined;
  if (stream === 'stdout' && !/^Incorrect Usage/.test(text)) return undefined; // the help text after a usage error
  const msg = text
    .replace(/^\d{4}-\d\d-\d\dT\S+ (INF|WRN|ERR|DBG) /, '')
    .replace(/ (error|event|connIndex|ip|tunnelID)=.*$/, '');
  const hit = CLASSES.find(([, re]) => re.test(msg));
  const name = hit ? hit[0] : `UNKNOWN(${msg.slice(0, 60)})`;
  const detail =
    hit?.[0] === 'api-unmarshal'
      ? `:${hit[1].exec(msg)?.[1]}`
      : hit?.[0] === 'usage'
        ? `:${msg.split('-').at(-1)}`
        : '';
  return `${stream === 'stdout' ? 'out' : 'err'} ${name}${detail}`;
}

/** Classes in order, a run of one class counted once (the real one repeats help and retry lines). */
function classes(lines: { stream: string; text: string }[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const c = classify(l.stream, l.text);
    if (c && c !== out.at(-1)) out.push(c);
  }
  return out;
}

interface Run {
  lines: { stream: string; text: string; at: number }[];
  code: number | null;
  signal: string | null;
}

/** Run the fake with the recorded argv; `signalWhen` sends SIGTERM after the first line it matches. */
async function runFake(argv: string[], env: Record<string, string>, signalWhen?: RegExp): Promise<Run> {
  const dir = tempDir();
  writeFileSync(join(dir, 'empty.yml'), '{}\n');
  const args = argv.slice(1).map((a) => a.replace(/<dir>\/state-[^/]+/, dir).replace('<dir>', dir));
  const child: ChildProcess = spawn(process.execPath, [fakeCloudflaredPath, ...args], {
    env: { PATH: process.env.PATH, FAKE_CFD_VERSION: '2023.7.3', FAKE_CFD_TIME_SCALE: String(SCALE), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const t0 = performance.now();
  const lines: Run['lines'] = [];
  let signalled = false;
  for (const [stream, input] of [
    ['stdout', child.stdout!],
    ['stderr', child.stderr!],
  ] as const) {
    createInterface({ input }).on('line', (text) => {
      lines.push({ stream, text, at: performance.now() - t0 });
      if (signalWhen && !signalled && signalWhen.test(text)) {
        signalled = true;
        child.kill('SIGTERM');
      }
    });
  }
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  return { lines, code, signal };
}

const cases: { file: string; env?: Record<string, string>; signalWhen?: RegExp }[] = [
  { file: 'e2-quick-exact.txt', env: { FAKE_CFD_SCENARIO: 'offline' } },
  { file: 'e3a-output-json.txt' },
  { file: 'e4a-named-token-file.txt' },
  { file: 'e4b-named-env-token.txt', env: { FAKE_CFD_SCENARIO: 'no-dns', TUNNEL_TOKEN: fakeTunnelToken() } },
  { file: 'e4d-named-bad-token.txt', env: { TUNNEL_TOKEN: 'not-a-token' } },
  {
    file: 's4-edge-quic-sigterm2s.txt',
    env: { FAKE_CFD_SCENARIO: 'quic-blocked' },
    signalWhen: /Starting metrics server/,
  },
  {
    file: 's7-edge-http2-sigterm2s.txt',
    env: { FAKE_CFD_SCENARIO: 'edge-unreachable' },
    signalWhen: /Starting metrics server/,
  },
  {
    file: 's8-edge-quic-sigterm-after-first-fail.txt',
    env: { FAKE_CFD_SCENARIO: 'quic-blocked' },
    signalWhen: /Retrying connection/,
  },
  { file: 'sup-v3-quick-429.txt', env: { FAKE_CFD_SCENARIO: 'rate-limit' } },
  { file: 'sup-v9-quick-500html.txt', env: { FAKE_CFD_SCENARIO: 'api-5xx-html' } },
];

describe('the fake at 2023.7.3 prints what the real 2023.7.3 printed', () => {
  it.each(cases.map((c) => [c.file, c] as const))('%s', async (_file, c) => {
    const recorded = readTranscript(fileURLToPath(new URL(c.file, transcriptsDir)));
    const run = await runFake(recorded.argv, c.env ?? {}, c.signalWhen);
    expect(classes(run.lines)).toEqual(classes([...recorded.lines, ...recorded.shutdown]));
    if (recorded.exit)
      expect({ code: run.code, signal: run.signal }).toEqual({
        code: recorded.exit.code,
        signal: recorded.exit.signal,
      });
    // graceful stop after our SIGTERM
    else expect({ code: run.code, signal: run.signal }).toEqual({ code: 0, signal: null });
  });

  it('a QUIC dial to a blocked edge takes about 5 s, as it did for the real one (scaled)', async () => {
    const recorded = readTranscript(fileURLToPath(new URL('sup-v2-quick-edge-blocked-quic.txt', transcriptsDir)));
    const at = (lines: { text: string; at: number }[], re: RegExp) =>
      lines.find((l) => re.test(l.text))?.at ?? Number.NaN;
    const realMs = at(recorded.lines, /Failed to create new quic/) - at(recorded.lines, /Starting metrics server/);
    expect(realMs).toBeGreaterThan(4_500);
    const run = await runFake(recorded.argv, { FAKE_CFD_SCENARIO: 'quic-blocked' }, /Retrying connection/);
    const fakeMs = at(run.lines, /Failed to create new quic/) - at(run.lines, /Starting metrics server/);
    expect(fakeMs).toBeGreaterThanOrEqual(realMs * SCALE * 0.9);
  });
});
