// Fault: full disk. BAND_HOME's disk is filled to the last byte, then settings and database writes are attempted over
// the server's HTTP API while reads go on. Survived: each write fails with an error that says the disk is full,
// settings.json and band.db are intact (PRAGMA integrity_check), reads keep working, and once space returns the same
// writes succeed and a turn runs to the end.
//
// How the disk is made full (the first that works here, or the one BAND_SOAK_DISK=mount|userns|inject names):
//   mount   BAND_HOME on a 48 MiB tmpfs mounted by the run (root with CAP_SYS_ADMIN); a filler file takes every
//           byte left, `rm` gives it back.
//   userns  the same tmpfs, mounted in a new user and mount namespace (`unshare --user --map-root-user --mount`, no
//           privilege needed where the kernel allows user namespaces): this script runs again inside it, server,
//           filler and all; the network namespace is the machine's (the server listens on loopback TCP).
//   inject  no small filesystem: this script runs again with a small C library preloaded (LD_PRELOAD, compiled here
//           with cc) that makes write(2) and its kin fail with ENOSPC on regular files under BAND_HOME while a flag
//           file exists ("full"); removing the flag is `rm filler`. Band's own code and SQLite see the error a full
//           disk gives (SQLite turns it into SQLITE_FULL itself), in this process and in the ones it starts (git,
//           the agent). Not covered by it: a write that fills the disk halfway (a real disk can take part of one),
//           writes through a memory map (SQLite's WAL index, band.db-shm), and free space as statfs(2) reports it.
// The mode is printed and recorded in the result (`mode`, and `modesSkipped` with why an earlier mode did not work).
import { execFileSync, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fakeAgentEnv } from '@band/agents/testing';
import { startServer } from '@band/server/start';
import {
  addSoakProject,
  createReport,
  integrityCheck,
  QUICK,
  runCleanup,
  silentLogger,
  tempDir,
  trpcHttp,
  until,
} from './lib.mjs';

const SIZE_MIB = 48;
const MODES = ['mount', 'userns', 'inject'];
const DESCRIPTIONS = {
  mount: `BAND_HOME on a ${SIZE_MIB} MiB tmpfs (mounted by the run) filled to the last byte, then emptied again`,
  userns:
    `BAND_HOME on a ${SIZE_MIB} MiB tmpfs mounted in a user + mount namespace (unshare), filled to the last byte, ` +
    'then emptied again',
  inject:
    'BAND_HOME on the machine disk, its writes failing with ENOSPC at the system-call boundary (LD_PRELOAD), ' +
    'then succeeding again',
};

/** Picks the mode (BAND_SOAK_DISK, or the first that works) and runs the fault in it. */
async function chooseMode() {
  const forced = process.env.BAND_SOAK_DISK;
  const scratch = tempDir('band-soak-disk-');
  const skipped = [];
  try {
    if (forced && !MODES.includes(forced))
      throw new Error(`BAND_SOAK_DISK=${forced}: expected one of ${MODES.join(', ')}`);
    const candidates = forced ? [forced] : MODES;
    const disk = join(scratch.path, 'disk');
    mkdirSync(disk);
    for (const mode of candidates) {
      const unusable = mode === 'inject' ? undefined : mountTmpfs(mode, disk);
      if (unusable) {
        skipped.push({ mode, reason: unusable });
        process.stderr.write(`  full-disk: mode ${mode} is not possible here: ${unusable}\n`);
        continue;
      }
      if (mode === 'mount') {
        // Mounted in this process's own namespace: run here, and unmount afterwards.
        try {
          await runFault(mode, scratch.path, skipped);
        } finally {
          execFileSync('umount', ['-l', disk], { stdio: 'pipe' });
        }
      } else await runAgain(mode, scratch.path, skipped);
      return;
    }
    throw new Error(`no way to fill a disk here: ${skipped.map((s) => `${s.mode}: ${s.reason}`).join('; ')}`);
  } catch (error) {
    process.stderr.write(`  full-disk: ${error.message}\n`);
    const report = createReport('full-disk', DESCRIPTIONS[forced] ?? 'BAND_HOME on a full disk');
    report.set('modesSkipped', skipped);
    report.finish(error);
  } finally {
    scratch.dispose();
  }
}

/**
 * mount: mounts the tmpfs on `disk` here. userns: checks that a user namespace may mount one (a throwaway namespace;
 * the run mounts its own). Returns why it cannot, or undefined.
 */
function mountTmpfs(mode, disk) {
  const mount = ['mount', '-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', disk];
  const argv = mode === 'mount' ? mount : ['unshare', '--user', '--map-root-user', '--mount', '--', ...mount];
  const run = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: 'pipe' });
  if (run.status === 0) return undefined;
  return (run.error?.message ?? (run.stderr.trim() || `${argv[0]} exited ${run.status ?? run.signal}`)).split('\n')[0];
}

/** Runs this script again, inside the namespace (userns) or with the ENOSPC library preloaded (inject). */
async function runAgain(mode, dir, skipped) {
  const script = fileURLToPath(import.meta.url);
  const env = {
    ...process.env,
    BAND_SOAK_DISK_INNER: mode,
    BAND_SOAK_DISK_DIR: dir,
    BAND_SOAK_DISK_SKIPPED: JSON.stringify(skipped),
    // Written here and copied: in the namespace, a folder of a user the namespace does not map is not writable.
    BAND_SOAK_OUT: join(dir, 'result.json'),
  };
  let argv = [process.execPath, script];
  if (mode === 'userns') argv = ['unshare', '--user', '--map-root-user', '--mount', '--', ...argv];
  else {
    Object.assign(env, {
      LD_PRELOAD: [buildEnospcLibrary(dir), env.LD_PRELOAD].filter(Boolean).join(' '),
      BAND_SOAK_ENOSPC_DIR: realpathSync(join(dir, 'disk')),
      BAND_SOAK_ENOSPC_FLAG: join(dir, 'full'),
      // libuv may hand file writes to io_uring, past libc: keep them on write(2) and pwrite(2).
      UV_USE_IO_URING: '0',
    });
  }
  // The run dies with this process, even by SIGKILL (scripts/soak.mjs's timeout), where setpriv is there.
  const setpriv = spawnSync('setpriv', ['--pdeathsig', 'KILL', '--', 'true'], { stdio: 'ignore' }).status === 0;
  if (setpriv) argv = ['setpriv', '--pdeathsig', 'KILL', '--', ...argv];
  const run = spawnSync(argv[0], argv.slice(1), { env, stdio: 'inherit' });
  if (!existsSync(env.BAND_SOAK_OUT))
    throw new Error(`the run in mode ${mode} wrote no result (${run.error?.message ?? run.status ?? run.signal})`);
  if (process.env.BAND_SOAK_OUT) copyFileSync(env.BAND_SOAK_OUT, process.env.BAND_SOAK_OUT);
  process.exitCode = run.status ?? 1;
}

/** Compiles the preloaded library of mode inject into `dir`; returns its path. */
function buildEnospcLibrary(dir) {
  const source = join(dir, 'enospc.c');
  const library = join(dir, 'enospc.so');
  writeFileSync(source, ENOSPC_C);
  const failures = [];
  for (const [cc, ...lang] of [['cc'], ['gcc'], ['g++', '-x', 'c']]) {
    const run = spawnSync(cc, [...lang, '-shared', '-fPIC', '-O2', '-o', library, source, '-ldl'], {
      encoding: 'utf8',
      stdio: 'pipe',
    });
    if (run.status === 0) return library;
    failures.push(`${cc}: ${(run.error?.message ?? run.stderr.trim()).split('\n')[0]}`);
  }
  throw new Error(`mode inject needs a C compiler to build its preloaded library: ${failures.join('; ')}`);
}

/** The fault itself, the same in every mode: `dir/disk` is where BAND_HOME lives. */
async function runFault(mode, dir, skipped) {
  const report = createReport('full-disk', DESCRIPTIONS[mode]);
  report.set('mode', mode);
  report.set('modesSkipped', skipped);
  process.stderr.write(`  full-disk: mode ${mode}: ${DESCRIPTIONS[mode]}\n`);
  const disk = join(dir, 'disk');
  const cleanup = [];
  try {
    if (mode === 'userns') {
      // In the namespace this run has to itself: the mount goes away with it.
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MIB}m,mode=0700`, 'tmpfs', disk], { stdio: 'pipe' });
      cleanup.push(() => execFileSync('umount', ['-l', disk], { stdio: 'pipe' }));
    }
    const home = join(disk, 'home');
    const server = await startServer({
      home,
      port: 0,
      host: '127.0.0.1',
      logger: silentLogger,
      env: { ...process.env, ...fakeAgentEnv({ scenario: 'ok' }) },
    });
    cleanup.push(() => server.close());
    const { services } = server.api;
    await addSoakProject(server, dir);
    const { workspace } = await services.workspaces.create({
      project: 'soak',
      branch: 'soak/disk',
      waitForSetup: true,
    });
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
    const filler = mode === 'inject' ? fillByFlag(join(dir, 'full')) : fillWithFile(join(disk, 'filler'));
    const probe = probeWrite(join(home, 'probe'));
    report.check('the disk is full: a 1-byte write under BAND_HOME gets ENOSPC', probe === 'ENOSPC', probe);
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
    await runCleanup(cleanup);
  }
}

/** A filler file takes every byte left on the tmpfs; returns its path (removing it gives the space back). */
function fillWithFile(filler) {
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
  return filler;
}

/** Mode inject: the preloaded library's flag file says "full"; returns its path (removing it gives the space back). */
function fillByFlag(flag) {
  writeFileSync(flag, '');
  return flag;
}

/** Writes one byte to a new file: `ok` (and removes it) or the error's code. */
function probeWrite(file) {
  try {
    writeFileSync(file, 'x');
    rmSync(file);
    return 'ok';
  } catch (error) {
    rmSync(file, { force: true });
    return error.code ?? String(error);
  }
}

// Mode inject's library: write(2), pwrite(2), writev(2), pwritev(2), fallocate(2), sendfile(2) and copy_file_range(2)
// on a regular file whose path is under BAND_SOAK_ENOSPC_DIR fail with ENOSPC while BAND_SOAK_ENOSPC_FLAG exists,
// as on a full disk (an empty write still succeeds, as there). Everything else goes to libc untouched.
const ENOSPC_C = String.raw`
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char dir[PATH_MAX];
static size_t dir_len;
static char flag[PATH_MAX];

__attribute__((constructor)) static void init(void) {
  const char *d = getenv("BAND_SOAK_ENOSPC_DIR"), *f = getenv("BAND_SOAK_ENOSPC_FLAG");
  if (!d || !f || strlen(d) >= PATH_MAX || strlen(f) >= PATH_MAX) return;
  strcpy(dir, d);
  strcpy(flag, f);
  dir_len = strlen(d);
}

/* 1 when a write of n bytes to fd must fail with ENOSPC (errno set), else 0 (errno untouched). */
static int full(int fd, size_t n) {
  if (dir_len == 0 || n == 0) return 0;
  int saved = errno, hit = 0;
  struct stat st;
  if (access(flag, F_OK) == 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, path, sizeof path - 1);
    if (len > 0 && (size_t)len >= dir_len && memcmp(path, dir, dir_len) == 0 &&
        (path[dir_len] == '/' || (size_t)len == dir_len))
      hit = 1;
  }
  errno = hit ? ENOSPC : saved;
  return hit;
}

static size_t iov_len(const struct iovec *iov, int count) {
  size_t n = 0;
  for (int i = 0; i < count; i++) n += iov[i].iov_len;
  return n;
}

#define REAL(name) \
  static __typeof__(name) *real; \
  if (!real) real = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *buf, size_t n) {
  REAL(write);
  return full(fd, n) ? -1 : real(fd, buf, n);
}
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) {
  REAL(pwrite);
  return full(fd, n) ? -1 : real(fd, buf, n, off);
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off64_t off) {
  REAL(pwrite64);
  return full(fd, n) ? -1 : real(fd, buf, n, off);
}
ssize_t writev(int fd, const struct iovec *iov, int count) {
  REAL(writev);
  return full(fd, iov_len(iov, count)) ? -1 : real(fd, iov, count);
}
ssize_t pwritev(int fd, const struct iovec *iov, int count, off_t off) {
  REAL(pwritev);
  return full(fd, iov_len(iov, count)) ? -1 : real(fd, iov, count, off);
}
ssize_t pwritev64(int fd, const struct iovec *iov, int count, off64_t off) {
  REAL(pwritev64);
  return full(fd, iov_len(iov, count)) ? -1 : real(fd, iov, count, off);
}
ssize_t pwritev2(int fd, const struct iovec *iov, int count, off_t off, int flags) {
  REAL(pwritev2);
  return full(fd, iov_len(iov, count)) ? -1 : real(fd, iov, count, off, flags);
}
int fallocate(int fd, int mode, off_t off, off_t len) {
  REAL(fallocate);
  return full(fd, (size_t)len) ? -1 : real(fd, mode, off, len);
}
int posix_fallocate(int fd, off_t off, off_t len) {
  REAL(posix_fallocate);
  return full(fd, (size_t)len) ? ENOSPC : real(fd, off, len);
}
ssize_t sendfile(int out, int in, off_t *off, size_t n) {
  REAL(sendfile);
  return full(out, n) ? -1 : real(out, in, off, n);
}
ssize_t sendfile64(int out, int in, off64_t *off, size_t n) {
  REAL(sendfile64);
  return full(out, n) ? -1 : real(out, in, off, n);
}
ssize_t copy_file_range(int in, off64_t *in_off, int out, off64_t *out_off, size_t n, unsigned flags) {
  REAL(copy_file_range);
  return full(out, n) ? -1 : real(in, in_off, out, out_off, n, flags);
}
`;

// Set when this script runs itself again in a mode (userns, inject): the mode, and the folder the first run made.
const inner = process.env.BAND_SOAK_DISK_INNER;
if (inner) await runFault(inner, process.env.BAND_SOAK_DISK_DIR, JSON.parse(process.env.BAND_SOAK_DISK_SKIPPED));
else await chooseMode();
