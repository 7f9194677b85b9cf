// Fault: concurrent writers on settings.json. 100 `band settings set` processes run at once, while an editor
// saves hand edits (write a new file, rename it over settings.json) and the server itself writes settings; a
// reader polls the file the whole time. Then a writer is killed between writing its temp file and renaming it.
// Survived: no update is lost, the reader never sees invalid JSON (or no file), the crash leaves the previous
// file, and the next write after the crash goes through at once.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { startServer } from '@band/server/start';
import { createReport, percentile, QUICK, runCleanup, silentLogger, tempDir } from './lib.mjs';

const CLI_WRITES = QUICK ? 20 : 100;
const HAND_EDITS = QUICK ? 20 : 50;
const SERVER_WRITES = QUICK ? 20 : 50;
const cliBin = fileURLToPath(new URL('../../apps/cli/bin/band.js', import.meta.url));
const report = createReport(
  'concurrent-writers',
  `${CLI_WRITES} parallel \`band settings set\`, ${HAND_EDITS} editor ` +
    `saves (write + rename) and ${SERVER_WRITES} server-side writes on one settings.json, ` +
    `a reader polling it, then a writer killed between write and rename`,
);

/** Runs the CLI; resolves with its exit code, output and duration. */
function band(args, env) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [cliBin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out, ms: performance.now() - t0 }));
  });
}

/** An editor saving a hand edit: read, change, write a new file next to it, rename it over the original. */
function handEdit(file, key) {
  const settings = JSON.parse(readFileSync(file, 'utf8'));
  settings.notifications = { ...settings.notifications, [key]: true };
  const tmp = `${file}.${key}.swp`;
  writeFileSync(tmp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
}

const scratch = tempDir('band-soak-writers-');
const cleanup = [];
try {
  const home = join(scratch.path, 'home');
  const server = await startServer({ home, port: 0, host: '127.0.0.1', logger: silentLogger });
  cleanup.push(() => server.close());
  const file = server.settings.file;
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BAND_'))),
    BAND_HOME: home,
    BAND_SERVER_URL: server.url,
    NO_COLOR: '1',
  };

  // The reader: a worker thread reading and parsing the file as fast as it can until told to stop.
  const reader = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { readFileSync } = require('node:fs');
     let reads = 0, invalid = 0, first = '', stop = false;
     parentPort.on('message', () => { stop = true; });
     (function loop() {
       for (let i = 0; i < 50; i++) {
         reads++;
         try { JSON.parse(readFileSync(workerData, 'utf8')); } catch (e) { invalid++; first ||= String(e.message); }
       }
       if (stop) parentPort.postMessage({ reads, invalid, first }); else setImmediate(loop);
     })();`,
    { eval: true, workerData: file },
  );
  const readerDone = new Promise((resolve) => reader.once('message', resolve));

  const t0 = performance.now();
  const cli = Array.from({ length: CLI_WRITES }, (_, i) =>
    band(['settings', 'set', `notifications.cli_${i}`, 'true'], env),
  );
  const spread = QUICK ? 2_000 : 5_000; // the editor and the server write at random moments over this window
  const at = () => new Promise((r) => setTimeout(r, Math.random() * spread));
  const handErrors = [];
  const hand = Array.from({ length: HAND_EDITS }, (_, i) =>
    at().then(() => {
      try {
        handEdit(file, `hand_${i}`);
      } catch (error) {
        handErrors.push(String(error.message));
      }
    }),
  );
  const serverSide = Array.from({ length: SERVER_WRITES }, (_, i) =>
    at()
      .then(() => server.settings.set(`notifications.server_${i}`, true))
      .then(
        () => ({ status: 'fulfilled' }),
        (reason) => ({ status: 'rejected', reason }),
      ),
  );
  const cliResults = await Promise.all(cli);
  const serverResults = await Promise.all(serverSide);
  await Promise.all(hand);
  const seconds = (performance.now() - t0) / 1000;
  reader.postMessage('stop');
  const polled = await readerDone;
  await reader.terminate();

  const final = JSON.parse(readFileSync(file, 'utf8'));
  const cliFailed = cliResults.filter((r) => r.code !== 0);
  const serverFailed = serverResults.filter((r) => r.status === 'rejected');
  // Every write that was acknowledged (exit 0, a resolved promise, a completed rename) must be in the file.
  const expected = [
    ...cliResults.flatMap((r, i) => (r.code === 0 ? [`cli_${i}`] : [])),
    ...serverResults.flatMap((r, i) => (r.status === 'fulfilled' ? [`server_${i}`] : [])),
    ...Array.from({ length: HAND_EDITS }, (_, i) => `hand_${i}`),
  ];
  const lost = expected.filter((key) => final.notifications?.[key] !== true);
  const unacknowledgedButWritten = cliResults.filter(
    (r, i) => r.code !== 0 && final.notifications?.[`cli_${i}`] === true,
  ).length;
  report.check(
    `every \`band settings set\` succeeded`,
    cliFailed.length === 0,
    cliFailed.length
      ? `${cliFailed.length} failed, first: ${cliFailed[0].out.trim().split('\n')[0]}`
      : `${CLI_WRITES} of ${CLI_WRITES}`,
  );
  report.check(
    'every server-side write succeeded',
    serverFailed.length === 0,
    serverFailed[0]?.reason?.message ?? `${SERVER_WRITES} of ${SERVER_WRITES}`,
  );
  report.check(
    'every editor save succeeded',
    handErrors.length === 0,
    handErrors[0] ?? `${HAND_EDITS} of ${HAND_EDITS}`,
  );
  report.check(
    'no acknowledged update was lost',
    lost.length === 0,
    lost.length
      ? `${lost.length} lost: ${lost.slice(0, 8).join(', ')}`
      : `all ${expected.length} acknowledged updates in the final file`,
  );
  report.check(
    'a write reported as failed did not happen',
    unacknowledgedButWritten === 0,
    `${unacknowledgedButWritten} failed writes found in the file`,
  );
  report.check(
    'the polling reader never saw invalid JSON or a missing file',
    polled.invalid === 0,
    `${polled.reads} reads, ${polled.invalid} invalid${polled.first ? ` (${polled.first})` : ''}`,
  );
  report.figure('writes', expected.length, 'writes');
  report.figure('duration of the writes', seconds, 's');
  report.figure(
    'band settings set, p50',
    percentile(
      cliResults.map((r) => r.ms),
      50,
    ),
    'ms',
  );
  report.figure(
    'band settings set, p99',
    percentile(
      cliResults.map((r) => r.ms),
      99,
    ),
    'ms',
  );
  report.figure('reader polls', polled.reads, 'reads');

  // --- a writer killed between writing its temp file and the rename ---
  const before = readFileSync(file, 'utf8');
  const settingsModule = import.meta.resolve('@band/settings');
  const crasher = spawn(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import fs from 'node:fs';
       import fsp from 'node:fs/promises';
       import { syncBuiltinESMExports } from 'node:module';
       const { loadSettings } = await import(${JSON.stringify(settingsModule)});
       const settings = await loadSettings({ home: ${JSON.stringify(home)} });
       const die = () => { process.kill(process.pid, 'SIGKILL'); };
       fs.renameSync = die;
       fsp.rename = async () => { die(); await new Promise(() => {}); };
       syncBuiltinESMExports();
       await settings.set('notifications.crashed', true);
       console.log('renamed: the fault was not injected');`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let crasherOut = '';
  crasher.stdout.on('data', (d) => (crasherOut += d));
  crasher.stderr.on('data', (d) => (crasherOut += d));
  const signal = await new Promise((resolve) => crasher.on('close', (_code, sig) => resolve(sig)));
  const after = readFileSync(file, 'utf8');
  const leftovers = readdirSync(home).filter((f) => f.startsWith('.settings.json.'));
  report.check(
    'the writer was killed between write and rename',
    signal === 'SIGKILL',
    signal ?? crasherOut.trim().split('\n')[0],
  );
  report.check(
    'the crash left the previous file, byte for byte',
    after === before,
    after === before ? 'unchanged, valid JSON' : 'the file changed',
  );
  const next = await band(['settings', 'set', 'notifications.after_crash', 'true'], env);
  const nextOk = next.code === 0 && JSON.parse(readFileSync(file, 'utf8')).notifications?.after_crash === true;
  report.check(
    'the next write after the crash goes through without waiting for a stale lock',
    nextOk && next.ms < 4_000,
    `${next.code === 0 ? 'written' : next.out.trim().split('\n')[0]} in ${Math.round(next.ms)} ms`,
  );
  report.figure('write after a crashed writer', next.ms, 'ms');
  report.figure('temp files a crashed writer left', leftovers.length, 'files');
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  await runCleanup(cleanup);
  scratch.dispose();
}
