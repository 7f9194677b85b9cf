// Fault: full disk. BAND_HOME lives on a size-limited tmpfs (mounted here when the machine allows it: root with
// CAP_SYS_ADMIN); a filler file takes every byte left, then settings and database writes are attempted over the
// server's HTTP API while reads go on. Survived: each write fails with an error that says the disk is full,
// settings.json and band.db are intact (PRAGMA integrity_check), reads keep working, and once space returns the
// same writes succeed and a turn runs to the end.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import { startServer } from '@band/server';
import { createReport, integrityCheck, makeRepo, QUICK, silentLogger, tempDir, trpcHttp, until } from './lib.mjs';

const SIZE_MIB = 48;
const report = createReport(
  'full-disk',
  `BAND_HOME on a ${SIZE_MIB} MiB tmpfs filled to the last byte, then emptied again`,
);

const scratch = tempDir('band-soak-disk-');
const mountpoint = join(scratch.path, 'disk');
const cleanup = [];
let mounted = false;
try {
  mkdirSync(mountpoint);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', mountpoint], { stdio: 'pipe' });
    mounted = true;
  } catch (error) {
    throw new Error(
      `cannot mount a tmpfs here (needs root with CAP_SYS_ADMIN): ${String(error.stderr ?? error.message).trim()}`,
    );
  }
  const home = join(mountpoint, 'home');
  const server = await startServer({
    home,
    port: 0,
    host: '127.0.0.1',
    logger: silentLogger,
    env: { ...process.env, ...fakeAgentEnv({ scenario: 'ok' }) },
  });
  cleanup.push(() => server.close());
  const { services } = server.api;
  await server.settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }],
    defaultCodingAgent: 'fake',
  }));
  await services.projects.register({ path: makeRepo(join(scratch.path, 'repo')), name: 'soak' });
  const { workspace } = await services.workspaces.create({ project: 'soak', branch: 'soak/disk', waitForSetup: true });
  const chat = services.chats.create({ workspaceId: workspace.id });
  const token = server.settings.get().tokenSecret;

  const call = trpcHttp(server.url, token);
  const turnEnded = async (turnId) =>
    until(
      () =>
        ['done', 'failed', 'aborted'].includes(
          services.chats.history({ chatId: chat.id, limit: 1 }).turns.find((t) => t.id === turnId)?.status,
        ) && services.chats.history({ chatId: chat.id, limit: 1 }).turns.find((t) => t.id === turnId).status,
      'the turn to end',
      60_000,
      50,
    );

  // A first turn while there is space, so there is history to read.
  const first = await call('chats.send', { chatId: chat.id, message: 'hello' }, true);
  report.check(
    'a turn runs before the disk fills',
    first.ok && (await turnEnded(first.data.turn.id)) === 'done',
    first.error?.message,
  );

  // --- fill the disk ---
  const filler = join(mountpoint, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(256 * 1024, 120);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if (error.code !== 'ENOSPC') throw error;
    for (let size = chunk.length / 2; size >= 1; size = Math.floor(size / 2)) {
      try {
        for (;;) writeSync(fd, chunk.subarray(0, size));
      } catch {}
    }
  } finally {
    closeSync(fd);
  }
  const settingsBefore = readFileSync(server.settings.file, 'utf8');
  const eventsBefore = services.chats.history({ chatId: chat.id, limit: 5_000 }).events.length;

  const setting = await call('settings.set', { key: 'notifications.soundOnNeedsAttention', value: false }, true);
  report.check(
    'a settings write fails with an error that says the disk is full',
    !setting.ok && /is full|no space/i.test(`${setting.error?.message} ${setting.error?.data?.hint ?? ''}`),
    setting.error?.message ?? `answered ${setting.status}`,
  );
  const big = 'x'.repeat(150_000);
  const send = await call('chats.send', { chatId: chat.id, message: big }, true);
  report.check(
    'a database write fails with an error that says the disk is full',
    !send.ok && /is full|no space/i.test(send.error?.message ?? ''),
    send.error?.message ?? `answered ${send.status}`,
  );
  const created = await call('chats.create', { workspaceId: workspace.id, name: 'x'.repeat(150) }, true);
  report.figure('writes refused while full', [setting, send, created].filter((r) => !r.ok).length, 'of 3');

  const reads = await Promise.all([
    call('settings.get'),
    call('chats.history', { chatId: chat.id }),
    call('workspaces.list'),
    call('chats.list', { workspaceId: workspace.id }),
  ]);
  report.check(
    'the server keeps serving reads while the disk is full',
    reads.every((r) => r.ok),
    reads.map((r) => r.status).join(', '),
  );
  report.check(
    'settings.json is unchanged and valid',
    readFileSync(server.settings.file, 'utf8') === settingsBefore && JSON.parse(settingsBefore),
  );
  let integrity = await integrityCheck(home);
  report.check('band.db passes PRAGMA integrity_check while full', integrity === 'ok', integrity);
  const historyAfter = services.chats.history({ chatId: chat.id, limit: 5_000 }).events.length;
  report.check(
    'the stored history is intact (nothing half-written)',
    historyAfter === eventsBefore,
    `${eventsBefore} events before, ${historyAfter} after`,
  );

  // --- space returns ---
  rmSync(filler);
  const settingAgain = await call('settings.set', { key: 'notifications.soundOnNeedsAttention', value: false }, true);
  const sendAgain = await call('chats.send', { chatId: chat.id, message: QUICK ? 'again' : big }, true);
  const status = sendAgain.ok ? await turnEnded(sendAgain.data.turn.id) : undefined;
  report.check(
    'once space returns, the settings write succeeds',
    settingAgain.ok && server.settings.get().notifications.soundOnNeedsAttention === false,
    settingAgain.error?.message,
  );
  report.check(
    'once space returns, a message is sent and its turn runs to the end',
    status === 'done',
    sendAgain.error?.message ?? `turn ${status}`,
  );
  const turns = services.chats.history({ chatId: chat.id, limit: 1 }).turns;
  const stuck = turns.filter((t) => !['done', 'failed', 'aborted'].includes(t.status));
  report.check(
    'no turn is left half-started by the refused write',
    stuck.length === 0,
    `${turns.length} turns: ${turns.map((t) => t.status).join(', ')}`,
  );
  integrity = await integrityCheck(home);
  report.check('band.db passes PRAGMA integrity_check after recovery', integrity === 'ok', integrity);
  report.finish();
} catch (error) {
  report.finish(error);
} finally {
  for (const fn of cleanup.reverse())
    await Promise.resolve()
      .then(fn)
      .catch(() => {});
  if (mounted) execFileSync('umount', ['-l', mountpoint], { stdio: 'pipe' });
  scratch.dispose();
}
