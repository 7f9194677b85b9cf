// Replay mode of the fake cloudflared (FAKE_CFD_REPLAY=<transcript>): plays what a real cloudflared
// printed, with its timing and its exit, so the supervisor can be tested against the real wording.
//
// Two transcript formats are read (see test/fixtures/cloudflared-2023.7.3/README.md):
//   raw:        `<ms> ERR|OUT <line>`, `<ms> ## EXIT code=… signal=…`, `## argv: …`, `## sending SIGTERM`
//   supervisor: `<ms> event log [stderr <level>] <line>`, `<ms> event exit {"code":…}`, `… tunnel: spawning …`
// A transcript records one network and one argv. The caller replays it only when the argv it was given
// asks for the same thing (see `replayApplies`); otherwise the fake runs live, as that version would.
import { readFileSync } from 'node:fs';

const RAW_LINE = /^\s*(\d+) (ERR|OUT) ?(.*)$/;
const RAW_EXIT = /^\s*(\d+) ## EXIT code=(\S+) signal=(\S+)/;
const RAW_ARGV = /^\s*\d+ ## argv: (.*)$/;
const RAW_SIGNAL = /^\s*\d+ ## sending SIG/;
const SUP_LINE = /^\s*(\d+) event log \[(stderr|stdout) \w+\] (.*)$/;
const SUP_EXIT = /^\s*(\d+) event exit (\{.*\})/;
const SUP_ARGV = /^\s*(\d+) logger\.debug tunnel: spawning (.*)$/;

/**
 * @typedef {{ at: number, stream: 'stdout' | 'stderr', text: string }} ReplayLine
 * @typedef {{ lines: ReplayLine[], exit?: { at: number, code: number | null, signal: string | null },
 *   argv: string[], version?: string, protocol: string, shutdown: ReplayLine[] }} Transcript
 */

/** @returns {Transcript} */
export function readTranscript(path) {
  const text = readFileSync(path, 'utf8');
  /** @type {ReplayLine[]} */
  const lines = [];
  /** @type {ReplayLine[]} */
  const shutdown = [];
  let exit;
  let argv = [];
  let origin = 0;
  let stopped = false; // after our own signal: what follows is the reaction to it, not the timeline
  for (const row of text.split('\n')) {
    const argvRaw = RAW_ARGV.exec(row);
    if (argvRaw) {
      argv = argvRaw[1].split(' ');
      continue;
    }
    const argvSup = SUP_ARGV.exec(row);
    if (argvSup) {
      argv = argvSup[2].split(' ');
      origin = Number(argvSup[1]); // the supervisor's clock starts before the spawn
      continue;
    }
    if (RAW_SIGNAL.test(row)) {
      stopped = true;
      continue;
    }
    const raw = RAW_LINE.exec(row);
    const sup = raw ? undefined : SUP_LINE.exec(row);
    if (raw || sup) {
      const at = Math.max(0, Number((raw ?? sup)[1]) - origin);
      const stream = raw ? (raw[2] === 'OUT' ? 'stdout' : 'stderr') : sup[2];
      const line = { at, stream, text: raw ? raw[3] : sup[3] };
      if (/Initiating graceful shutdown/.test(line.text)) stopped = true;
      (stopped ? shutdown : lines).push(line);
      continue;
    }
    const exitRaw = RAW_EXIT.exec(row);
    if (exitRaw && !stopped) {
      exit = {
        at: Number(exitRaw[1]),
        code: exitRaw[2] === 'null' ? null : Number(exitRaw[2]),
        signal: exitRaw[3] === 'null' ? null : exitRaw[3],
      };
      continue;
    }
    const exitSup = SUP_EXIT.exec(row);
    if (exitSup && !stopped && !exit) {
      const info = JSON.parse(exitSup[2]);
      exit = { at: Math.max(0, Number(exitSup[1]) - origin), code: info.code, signal: info.signal };
    }
  }
  restoreBannerBorders(lines);
  const all = [...lines, ...shutdown].map((l) => l.text).join('\n');
  const version = /\bVersion (\d{4}\.\d+\.\d+)/.exec(all)?.[1];
  const protocol = /Initial protocol (\w+)/.exec(all)?.[1] ?? flagValue(argv, '--protocol') ?? 'quic';
  return { lines, exit, argv, version, protocol, shutdown };
}

// Supervisor transcripts hold the lines as an older supervisor logged them, with the URL banner's
// `+-----+` borders masked as `[REDACTED]`; put back what cloudflared printed.
function restoreBannerBorders(lines) {
  lines.forEach((line, i) => {
    if (!/ INF \[REDACTED\]$/.test(line.text)) return;
    const row = [lines[i + 1], lines[i - 1]].find((l) => l && / INF \|.*\|$/.test(l.text));
    if (!row) return;
    const width = row.text.length - row.text.indexOf('|');
    line.text = line.text.replace('[REDACTED]', `+${'-'.repeat(width - 2)}+`);
  });
}

function flagValue(argv, name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

/** The flag names of an argv (`--url`, `--output` …), without values and without `--protocol`. */
export function flagNames(argv) {
  return [...new Set(argv.filter((a) => a.startsWith('-')).map((a) => a.replace(/=.*$/, '').replace(/^-+/, '--')))]
    .filter((f) => f !== '--protocol')
    .sort();
}

/**
 * Whether a transcript stands for this run. The run must pass every flag the recording passed (a
 * supervisor that leaves out a flag the old binary refused must not be shown that refusal), and any
 * other flag it passes must be one this version accepts (`isKnownFlag`): such flags (`--loglevel`,
 * `--pidfile` …) do not change what the network did. The edge protocol must match too: a transcript of a
 * network where QUIC is blocked says nothing about http2 there, and the fake then acts as a network
 * where it works.
 */
export function replayApplies(transcript, argv, protocol, isKnownFlag = () => true, loose = false) {
  if (transcript.protocol !== protocol) return false;
  const recorded = new Set(flagNames(transcript.argv));
  const ours = new Set(flagNames(argv));
  const refused = (f) => transcript.lines.some((l) => l.text.includes(`flag provided but not defined: -${f.slice(2)}`));
  for (const f of recorded) if (!ours.has(f) && (!loose || refused(f))) return false;
  for (const f of ours) if (!recorded.has(f) && !isKnownFlag(f.slice(2))) return false;
  return true;
}

/**
 * Play the timeline. `hooks.line(stream, text)` writes a line (and may rewrite it, e.g. the metrics
 * address); `hooks.exit(code, signal)` ends the process. Times are multiplied by `scale`.
 * Returns a function that stops the timeline (for a signal).
 */
export function play(transcript, scale, hooks) {
  const timers = [];
  const t0 = Date.now();
  const at = (ms) => Math.max(0, Math.round(ms * scale) - (Date.now() - t0));
  // Lines with the same timestamp go out in order: chain them rather than racing timers.
  let chain = Promise.resolve();
  for (const line of transcript.lines) {
    chain = chain.then(
      () =>
        new Promise((resolve) => {
          timers.push(
            setTimeout(async () => {
              await hooks.line(line.stream, line.text);
              resolve();
            }, at(line.at)),
          );
        }),
    );
  }
  if (transcript.exit) {
    const { code, signal } = transcript.exit;
    chain = chain
      .then(() => new Promise((resolve) => timers.push(setTimeout(resolve, at(transcript.exit.at)))))
      .then(() => hooks.exit(code, signal));
  }
  return () => {
    for (const t of timers) clearTimeout(t);
  };
}
