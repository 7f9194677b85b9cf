import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, readlink, lstat, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  SettingsError,
  generateTokenSecret,
  isLocalOnlySetting,
  remoteSettableKeys,
  settingsKeys,
  loadSettings,
  readTokenSecret,
  redactSettings,
  resolveBandHome,
  writeFileAtomic,
} from '../src/index.js';
import { tempBandHome } from '../src/testing/index.js';
import { SLOW } from '../../../tooling/testing/slow.js';

const HEX64 = /^[0-9a-f]{64}$/;
const mode = async (p: string) => (await stat(p)).mode & 0o777;
const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));

async function writeSettings(home: string, value: unknown, fileMode = 0o600) {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const file = join(home, 'settings.json');
  await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value), { mode: fileMode });
  await chmod(file, fileMode);
  return file;
}

async function expectSettingsError(promise: Promise<unknown>, code: string, field?: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SettingsError);
  const err = error as SettingsError;
  expect(err.code).toBe(code);
  if (field) expect(err.field).toBe(field);
  expect(err.message).toContain(err.file);
  expect(err.hint.length).toBeGreaterThan(10);
  return err;
}

describe('first launch', () => {
  it('creates the home 0700 and settings.json 0600 with defaults and a fresh 64-hex token (J1)', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    expect(await mode(tmp.home)).toBe(0o700);
    expect(await mode(store.file)).toBe(0o600);
    const s = store.get();
    expect(s.tokenSecret).toMatch(HEX64);
    expect(s).toMatchObject({
      worktreesDir: join(tmp.home, 'worktrees'),
      codingAgents: [],
      defaultCodingAgent: null,
      webServerPort: 3456,
      notifications: { soundOnNeedsAttention: true },
      labels: [],
      autoStartTunnel: false,
      tunnel: { mode: 'quick', originPort: 3457 },
    });
    expect(await readJson(store.file)).toEqual(s);
  });

  it('two processes starting at once on a fresh home end up with exactly one token (J5)', async () => {
    await using tmp = await tempBandHome();
    const stores = await Promise.all([1, 2, 3, 4].map(() => loadSettings({ home: tmp.home })));
    const tokens = new Set(stores.map((s) => s.get().tokenSecret));
    expect(tokens.size).toBe(1);
    expect((await readJson(join(tmp.home, 'settings.json'))).tokenSecret).toBe([...tokens][0]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('generates different tokens on different homes', async () => {
    expect(generateTokenSecret()).not.toBe(generateTokenSecret());
    expect(generateTokenSecret()).toMatch(HEX64);
  });
});

describe('existing files', () => {
  it('fills missing fields without touching what the user wrote, and keeps unknown fields', async () => {
    await using tmp = await tempBandHome();
    const token = generateTokenSecret();
    const file = await writeSettings(tmp.home, {
      tokenSecret: token,
      webServerPort: 4000,
      myOwnThing: { a: 1 },
      notifications: { soundOnNeedsAttention: false, extra: 'x' },
      codingAgents: [{ id: 'cc', type: 'claude-code', label: 'Claude', command: 'claude', custom: true }],
    });
    await using store = await loadSettings({ home: tmp.home });
    const onDisk = await readJson(file);
    expect(onDisk.tokenSecret).toBe(token);
    expect(onDisk.webServerPort).toBe(4000);
    expect(onDisk.myOwnThing).toEqual({ a: 1 });
    expect(onDisk.notifications).toEqual({ soundOnNeedsAttention: false, extra: 'x' });
    expect(onDisk.codingAgents[0].custom).toBe(true);
    expect(onDisk.autoStartTunnel).toBe(false);
    expect(onDisk.tunnel).toEqual({ mode: 'quick', originPort: 3457 });
    expect(store.get().myOwnThing).toEqual({ a: 1 });
  });

  it('leaves a complete file byte-for-byte alone', async () => {
    await using tmp = await tempBandHome();
    const first = await loadSettings({ home: tmp.home });
    await first.close();
    const text = '  ' + (await readFile(first.file, 'utf8'));
    await writeFile(first.file, text);
    await using second = await loadSettings({ home: tmp.home });
    expect(await readFile(second.file, 'utf8')).toBe(text);
  });

  it('a missing tokenSecret is generated and persisted (rotation by deleting the field)', async () => {
    await using tmp = await tempBandHome();
    const file = await writeSettings(tmp.home, { webServerPort: 3456 });
    await using store = await loadSettings({ home: tmp.home });
    expect(store.get().tokenSecret).toMatch(HEX64);
    expect((await readJson(file)).tokenSecret).toBe(store.get().tokenSecret);
  });

  it.each([
    ['empty', ''],
    ['63 chars', 'a'.repeat(63)],
    ['65 chars', 'a'.repeat(65)],
    ['uppercase', 'A'.repeat(64)],
    ['not hex', 'g'.repeat(64)],
    ['a number', 12345],
    ['null', null],
  ])('a malformed tokenSecret (%s) refuses to load and is never replaced (A9)', async (_name, tokenSecret) => {
    await using tmp = await tempBandHome();
    const file = await writeSettings(tmp.home, { tokenSecret });
    const before = await readFile(file, 'utf8');
    const err = await expectSettingsError(loadSettings({ home: tmp.home }), 'MALFORMED_TOKEN', 'tokenSecret');
    expect(err.message).toContain('tokenSecret');
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('corrupt JSON refuses to load, names the file and leaves it untouched (J4)', async () => {
    await using tmp = await tempBandHome();
    const file = await writeSettings(tmp.home, '{"tokenSecret": "abc",');
    const err = await expectSettingsError(loadSettings({ home: tmp.home }), 'INVALID_JSON');
    expect(err.file).toBe(file);
    expect(await readFile(file, 'utf8')).toBe('{"tokenSecret": "abc",');
  });

  it.each([
    ['webServerPort', '3456', 'webServerPort'],
    ['webServerPort', 70000, 'webServerPort'],
    ['autoStartTunnel', 'yes', 'autoStartTunnel'],
    ['notifications', { soundOnNeedsAttention: 'loud' }, 'notifications.soundOnNeedsAttention'],
    ['codingAgents', [{ id: 'x', type: 'cursor', label: 'X' }], 'codingAgents.0.type'],
    ['tunnel', { mode: 'magic' }, 'tunnel.mode'],
    ['tunnel', { mode: 'named', originPort: 0 }, 'tunnel.originPort'],
    ['tunnel', { mode: 'named', originPort: '3457' }, 'tunnel.originPort'],
    ['tunnel', { mode: 'named', originPort: 3456 }, 'tunnel.originPort'],
    [
      'tunnel',
      { mode: 'named', hostname: 'band.example.com', tokenFile: '/t', credentialsFile: '/c.json' },
      'tunnel.credentialsFile',
    ],
    ['tunnel', { mode: 'named', credentialsFile: '' }, 'tunnel.credentialsFile'],
    ['worktreesDir', 42, 'worktreesDir'],
  ])('a wrong type in %s refuses to load and names the field', async (key, value, field) => {
    await using tmp = await tempBandHome();
    await writeSettings(tmp.home, { tokenSecret: generateTokenSecret(), [key]: value });
    const err = await expectSettingsError(loadSettings({ home: tmp.home }), 'INVALID_FIELD', field);
    expect(err.message).toContain(field);
  });

  it.each([
    ['an array', '[]'],
    ['a string', '"hi"'],
    ['null', 'null'],
  ])('a JSON root that is %s is refused', async (_n, text) => {
    await using tmp = await tempBandHome();
    await writeSettings(tmp.home, text);
    await expectSettingsError(loadSettings({ home: tmp.home }), 'INVALID_FIELD', '(root)');
  });

  it('fixes a 0644 file and a 0755 directory and warns (J2)', async () => {
    await using tmp = await tempBandHome();
    const file = await writeSettings(tmp.home, { tokenSecret: generateTokenSecret() }, 0o644);
    await chmod(tmp.home, 0o755);
    const warn = vi.fn();
    await using _store = await loadSettings({ home: tmp.home, logger: { warn } });
    expect(await mode(file)).toBe(0o600);
    expect(await mode(tmp.home)).toBe(0o700);
    expect(warn).toHaveBeenCalledTimes(2);
    for (const [msg] of warn.mock.calls) expect(msg).not.toMatch(HEX64);
  });

  it('a settings.json that is a directory is refused', async () => {
    await using tmp = await tempBandHome();
    await mkdir(join(tmp.home, 'settings.json'), { recursive: true });
    await expectSettingsError(loadSettings({ home: tmp.home }), 'NOT_A_FILE');
  });

  it('a symlinked settings.json is replaced by a file on write, not followed (J6)', async () => {
    await using tmp = await tempBandHome();
    const outside = join(tmp.home, '..', 'outside.json');
    await writeFile(outside, JSON.stringify({ tokenSecret: generateTokenSecret() }), { mode: 0o600 });
    await mkdir(tmp.home, { recursive: true, mode: 0o700 });
    await symlink(outside, join(tmp.home, 'settings.json'));
    const warn = vi.fn();
    await using store = await loadSettings({ home: tmp.home, logger: { warn } });
    expect(warn.mock.calls.some(([m]) => String(m).includes('symlink'))).toBe(true);
    const outsideBefore = await readFile(outside, 'utf8');
    await store.set('webServerPort', '4001');
    expect((await lstat(store.file)).isSymbolicLink()).toBe(false);
    expect(await readFile(outside, 'utf8')).toBe(outsideBefore);
    await expect(readlink(store.file)).rejects.toThrow();
  });
});

describe('writes', () => {
  it("update() under the lock never loses a concurrent writer's change (server + CLI)", async () => {
    await using tmp = await tempBandHome();
    const a = await loadSettings({ home: tmp.home });
    const b = await loadSettings({ home: tmp.home });
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).update((s) => ({ ...s, labels: [...s.labels, i] }))),
    );
    const onDisk = await readJson(a.file);
    expect([...onDisk.labels].sort((x: number, y: number) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await a.close();
    await b.close();
  });

  it('update() rejects an invalid result and leaves the file as it was', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    const before = await readFile(store.file, 'utf8');
    await expectSettingsError(
      store.update((s) => ({ ...s, webServerPort: -1 })),
      'INVALID_FIELD',
      'webServerPort',
    );
    await expectSettingsError(
      store.update((s) => ({ ...s, tokenSecret: 'short' })),
      'MALFORMED_TOKEN',
    );
    expect(await readFile(store.file, 'utf8')).toBe(before);
    expect(await mode(store.file)).toBe(0o600);
  });

  it('update() emits change with next and prev', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    const seen: Array<[number, number]> = [];
    const off = store.on('change', (next, prev) => seen.push([next.webServerPort, prev.webServerPort]));
    await store.update((s) => ({ ...s, webServerPort: 4100 }));
    off();
    await store.update((s) => ({ ...s, webServerPort: 4200 }));
    expect(seen).toEqual([[4100, 3456]]);
  });

  it('breaks a stale lock left by a crashed process', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home, lockStaleMs: 1_000 });
    const lock = join(tmp.home, 'settings.lock');
    await writeFile(lock, '99999 0\n');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    await store.set('autoStartTunnel', 'true');
    expect(store.get().autoStartTunnel).toBe(true);
  });

  it(
    'keeps a hand edit saved (write + rename) ' + 'while an update was running, and applies the update on top',
    async () => {
      await using tmp = await tempBandHome();
      await using store = await loadSettings({ home: tmp.home });
      let saves = 0;
      await store.update((s) => {
        if (saves === 0) {
          // An editor saves between Band's read and its rename.
          saves++;
          const edited = { ...JSON.parse(readFileSync(store.file, 'utf8')), labels: ['from the editor'] };
          writeFileSync(`${store.file}.swp`, JSON.stringify(edited));
          renameSync(`${store.file}.swp`, store.file);
        }
        return { ...s, autoStartTunnel: true };
      });
      const onDisk = await readJson(store.file);
      expect(onDisk.labels).toEqual(['from the editor']);
      expect(onDisk.autoStartTunnel).toBe(true);
      expect(store.get().labels).toEqual(['from the editor']);
    },
  );

  it('writeFileAtomic writes nothing, and leaves no temp file, when beforeRename says the file changed', async () => {
    await using tmp = await tempBandHome();
    const file = join(tmp.home, 'x.json');
    await mkdir(tmp.home, { recursive: true });
    await writeFile(file, 'before');
    expect(await writeFileAtomic(file, 'after', { beforeRename: () => false })).toBe(false);
    expect(await readFile(file, 'utf8')).toBe('before');
    expect(await readdir(tmp.home)).toEqual(['x.json']);
    expect(await writeFileAtomic(file, 'after', { beforeRename: () => true })).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('after');
  });

  it('breaks at once a lock whose process is gone (a writer killed between write and rename)', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home, lockStaleMs: 600_000, lockTimeoutMs: 3_000 });
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(join(tmp.home, 'settings.lock'), `${dead} ${Date.now()}\n`);
    const t0 = Date.now();
    await store.set('autoStartTunnel', 'true');
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(store.get().autoStartTunnel).toBe(true);
  });

  it('100 writes at once from one process all land, none waits out the lock timeout', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home, lockTimeoutMs: 300 });
    await Promise.all(Array.from({ length: 100 }, (_, i) => store.set(`notifications.w${i}`, true)));
    const onDisk = await readJson(store.file);
    expect(Array.from({ length: 100 }, (_, i) => onDisk.notifications[`w${i}`])).toEqual(Array(100).fill(true));
  }, 60_000);

  it('times out on a live lock with LOCK_TIMEOUT', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home, lockTimeoutMs: 100 });
    await writeFile(join(tmp.home, 'settings.lock'), `${process.pid} ${Date.now()}\n`);
    await expectSettingsError(store.set('autoStartTunnel', true), 'LOCK_TIMEOUT');
  });

  it.each([
    ['webServerPort', '4000', 4000],
    ['autoStartTunnel', 'true', true],
    ['notifications.soundOnNeedsAttention', 'false', false],
    ['defaultCodingAgent', 'claude-code', 'claude-code'],
    ['defaultCodingAgent', 'null', null],
    ['worktreesDir', '/tmp/wt', '/tmp/wt'],
    ['tunnel.mode', 'named', 'named'],
    ['tunnel.hostname', 'band.example.com', 'band.example.com'],
    [
      'tunnel.credentialsFile',
      '/home/me/.cloudflared/6ff42ae2-765d-4adf-8112-31c55c1551ef.json',
      '/home/me/.cloudflared/6ff42ae2-765d-4adf-8112-31c55c1551ef.json',
    ],
    ['labels', '[{"name":"x"}]', [{ name: 'x' }]],
    ['webServerPort', 5000, 5000],
  ])('set(%s, %j) coerces CLI strings to what the schema needs', async (key, raw, expected) => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    const next = await store.set(key, raw);
    const value = key.split('.').reduce<any>((o, k) => o[k], next);
    expect(value).toEqual(expected);
    expect(key.split('.').reduce<any>((o, k) => o[k], await readJson(store.file))).toEqual(expected);
  });

  it.each([
    ['webServerPort', 'abc', 'INVALID_FIELD'],
    ['autoStartTunnel', 'maybe', 'INVALID_FIELD'],
    ['tokenSecret', 'tooshort', 'MALFORMED_TOKEN'],
    ['nope', '1', 'UNKNOWN_KEY'],
    ['__proto__.polluted', '1', 'UNKNOWN_KEY'],
    ['tunnel.__proto__', '1', 'UNKNOWN_KEY'],
    ['', '1', 'UNKNOWN_KEY'],
    ['tunnel..mode', '1', 'UNKNOWN_KEY'],
  ])('set(%j, %j) is refused with %s', async (key, raw, code) => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    await expectSettingsError(store.set(key, raw), code);
    expect(({} as any).polluted).toBeUndefined();
  });

  it('a CLI string refused in every reading is refused for what is wrong with the value, not its type', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    // `band settings set webServerPort 70000`: the number is too big; the raw string "70000" is not a number at all.
    const error = await expectSettingsError(store.set('webServerPort', '70000'), 'INVALID_FIELD', 'webServerPort');
    expect(error.message).toContain('must be at most 65535');
    await expectSettingsError(store.set('webServerPort', 'abc'), 'INVALID_FIELD', 'webServerPort');
    expect(store.get().webServerPort).toBe(3456);
  });

  it('a number after a list names its entry: codingAgents.0.command changes one agent and keeps the rest', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    await store.set(
      'codingAgents',
      '[{"id":"claude","type":"claude-code","label":"Claude"},{"id":"codex","type":"codex","label":"Codex"}]',
    );
    const next = await store.set('codingAgents.1.command', '/opt/codex/bin/codex');
    expect(next.codingAgents).toEqual([
      { id: 'claude', type: 'claude-code', label: 'Claude' },
      { id: 'codex', type: 'codex', label: 'Codex', command: '/opt/codex/bin/codex' },
    ]);
    // One past the end adds an entry; validation still applies to it as a whole.
    await expectSettingsError(store.set('codingAgents.2.label', 'OpenCode'), 'INVALID_FIELD');
    await store.set('codingAgents.2', '{"id":"oc","type":"opencode","label":"OpenCode"}');
    expect((await readJson(store.file)).codingAgents.map((a: { id: string }) => a.id)).toEqual([
      'claude',
      'codex',
      'oc',
    ]);
  });

  it('an index past the end of a list is refused, names the list and its size, and changes nothing', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    await store.set('codingAgents', '[{"id":"claude","type":"claude-code","label":"Claude"}]');
    const before = await readFile(store.file, 'utf8');
    const err = await expectSettingsError(
      store.set('codingAgents.5.command', '/x'),
      'UNKNOWN_KEY',
      'codingAgents.5.command',
    );
    expect(err.message).toContain('codingAgents has 1 entry');
    expect(err.hint).toContain('or 1 to add one');
    await expectSettingsError(store.set('codingAgents.first.command', '/x'), 'UNKNOWN_KEY');
    expect(await readFile(store.file, 'utf8')).toBe(before);
  });

  it('a named tunnel takes a token file or a credentials file, not both; switching is one update', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    await store.set('tunnel', { mode: 'named', hostname: 'band.example.com', tokenFile: '/t', originPort: 3457 });
    const err = await expectSettingsError(
      store.set('tunnel.credentialsFile', '/c.json'),
      'INVALID_FIELD',
      'tunnel.credentialsFile',
    );
    expect(err.message).toContain('tunnel.tokenFile');
    expect((await readJson(store.file)).tunnel).toEqual({
      mode: 'named',
      hostname: 'band.example.com',
      tokenFile: '/t',
      originPort: 3457,
    });
    const next = await store.update((s) => ({
      ...s,
      tunnel: { mode: 'named', hostname: 'band.example.com', credentialsFile: '/c.json', originPort: 3457 },
    }));
    expect(next.tunnel).toEqual({
      mode: 'named',
      hostname: 'band.example.com',
      credentialsFile: '/c.json',
      originPort: 3457,
    });
  });
});

describe('watching', () => {
  it('a hand edit that changes the token emits change (I5)', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home, watch: true, watchDebounceMs: 10 });
    const changes: string[] = [];
    store.on('change', (next, prev) => {
      expect(prev.tokenSecret).not.toBe(next.tokenSecret);
      changes.push(next.tokenSecret);
    });
    const fresh = generateTokenSecret();
    const onDisk = await readJson(store.file);
    await writeFile(store.file, JSON.stringify({ ...onDisk, tokenSecret: fresh }));
    await vi.waitFor(() => expect(changes).toEqual([fresh]), SLOW);
    expect(store.get().tokenSecret).toBe(fresh);
  });

  it('a hand edit that breaks the file emits error and keeps the last good settings', async () => {
    await using tmp = await tempBandHome();
    const warn = vi.fn();
    await using store = await loadSettings({ home: tmp.home, watch: true, watchDebounceMs: 10, logger: { warn } });
    const good = store.get();
    const errors: SettingsError[] = [];
    store.on('error', (e) => errors.push(e));
    await writeFile(store.file, '{ broken');
    await vi.waitFor(() => expect(errors.length).toBeGreaterThan(0), SLOW);
    expect(errors[0]!.code).toBe('INVALID_JSON');
    expect(store.get()).toBe(good);
    expect(await readFile(store.file, 'utf8')).toBe('{ broken');
    for (const [msg] of warn.mock.calls) expect(String(msg)).not.toContain(good.tokenSecret);
  });

  it('deleting tokenSecret while running generates a new one (rotation)', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home, watch: true, watchDebounceMs: 10 });
    const old = store.get().tokenSecret;
    const { tokenSecret: _drop, ...rest } = await readJson(store.file);
    const changed = new Promise<string>((resolve) => store.on('change', (next) => resolve(next.tokenSecret)));
    await writeFile(store.file, JSON.stringify(rest));
    const next = await changed;
    expect(next).toMatch(HEX64);
    expect(next).not.toBe(old);
    expect((await readJson(store.file)).tokenSecret).toBe(next);
  });

  it('close() is idempotent and stops events', async () => {
    await using tmp = await tempBandHome();
    const store = await loadSettings({ home: tmp.home, watch: true, watchDebounceMs: 10 });
    // A control: a second store watching the same file the same way. Once it has seen the edit, the closed store
    // would have seen it too, so its silence is measured, not assumed after an arbitrary sleep.
    await using control = await loadSettings({ home: tmp.home, watch: true, watchDebounceMs: 10 });
    const onChange = vi.fn();
    store.on('change', onChange);
    const seen = new Promise<number>((resolve) => control.on('change', (next) => resolve(next.webServerPort)));
    await store.close();
    await store.close();
    await writeFile(store.file, JSON.stringify({ ...(await readJson(store.file)), webServerPort: 9999 }));
    expect(await seen).toBe(9999);
    // One more debounce period of the closed store's (10 ms) after the control's event, for an event already queued.
    await new Promise((r) => setTimeout(r, 10));
    expect(onChange).not.toHaveBeenCalled();
  });
});

describe('helpers', () => {
  it('readTokenSecret trims whitespace and validates', async () => {
    await using tmp = await tempBandHome();
    const token = generateTokenSecret();
    await writeSettings(tmp.home, { tokenSecret: ` ${token}\n` });
    expect(await readTokenSecret(tmp.home)).toBe(token);
    await writeSettings(tmp.home, { tokenSecret: 'x' });
    await expectSettingsError(readTokenSecret(tmp.home), 'MALFORMED_TOKEN');
    await writeSettings(tmp.home, {});
    await expectSettingsError(readTokenSecret(tmp.home), 'MISSING_TOKEN');
    await writeSettings(tmp.home, '{');
    await expectSettingsError(readTokenSecret(tmp.home), 'INVALID_JSON');
  });

  it('readTokenSecret on a home without settings says how to create it', async () => {
    await using tmp = await tempBandHome();
    await expectSettingsError(readTokenSecret(tmp.home), 'MISSING_TOKEN');
  });

  it('redactSettings hides the token', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    const redacted = redactSettings(store.get());
    expect(JSON.stringify(redacted)).not.toContain(store.get().tokenSecret);
    expect(redacted.webServerPort).toBe(3456);
  });

  it('resolveBandHome uses BAND_HOME or ~/.band', () => {
    expect(resolveBandHome({ BAND_HOME: '/x/y' })).toBe('/x/y');
    expect(resolveBandHome({ HOME: '/h' })).toMatch(/\.band$/);
    expect(resolveBandHome({ BAND_HOME: '  ' })).toMatch(/\.band$/);
  });

  it(
    'only dashboard preferences are remote-settable; ' +
      'binaries, ports, tunnel, token and worktreesDir are local-only',
    () => {
      for (const path of [
        'tunnel',
        'tunnel.cloudflaredPath',
        'tunnel.mode',
        'tunnel.hostname',
        'tunnel.tokenFile',
        'tunnel.credentialsFile',
        'codingAgents',
        'codingAgents.0.command',
        'webServerPort',
        'tokenSecret',
        'worktreesDir',
        'autoStartTunnel',
        'somethingNew',
      ]) {
        expect(isLocalOnlySetting(path), path).toBe(true);
      }
      for (const path of ['notifications.soundOnNeedsAttention', 'notifications', 'defaultCodingAgent', 'labels']) {
        expect(isLocalOnlySetting(path), path).toBe(false);
      }
      expect(settingsKeys.filter((k) => !isLocalOnlySetting(k))).toEqual([...remoteSettableKeys]);
    },
  );

  it('withoutPaths() shows a settings error with no absolute path (for remote clients)', async () => {
    await using tmp = await tempBandHome();
    await using store = await loadSettings({ home: tmp.home });
    const error = await expectSettingsError(store.set('webServerPort', 70000), 'INVALID_FIELD', 'webServerPort');
    expect(error.message).toContain(tmp.home);
    const shown = error.withoutPaths(tmp.home, '/nonexistent-user-home');
    expect(`${shown.problem} ${shown.hint}`).not.toContain(tmp.home);
    expect(shown.problem).toBe('settings.json: field "webServerPort" must be at most 65535.');
    expect(shown.hint).toContain('settings.json');
    const io = new SettingsError('IO', `Cannot access ${tmp.home}: EACCES`, {
      file: tmp.home,
      hint: `check the permissions of ${tmp.home}`,
    });
    expect(io.withoutPaths(tmp.home).problem).toBe('Cannot access BAND_HOME: EACCES');
    expect(
      new SettingsError('IO', 'x /home/u/y', { file: '/home/u/.band/settings.json', hint: 'h' }).withoutPaths(
        '/home/u/.band',
        '/home/u',
      ).problem,
    ).toBe('x ~/y');
  });
});
