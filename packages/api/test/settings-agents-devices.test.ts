// Issue 22: an agent command is checked when it is saved, and a browser cannot revoke its own session.
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Device, Gate, Principal } from '@band/auth';
import { loadSettings } from '@band/settings';
import { tempBandHome } from '@band/settings/testing';
import type { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context.js';
import { createCaller } from '../src/root.js';
import { createDevicesService } from '../src/devices/devices-service.js';
import type { Services } from '../src/create-services.js';
import { createSettingsService } from '../src/settings/settings-service.js';

const local: Principal = { kind: 'session', listener: 'local', sessionId: 'sess_laptop' };
const cli: Principal = { kind: 'root', listener: 'local' };

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => {
      throw new Error('expected a refusal');
    },
    (error: TRPCError) => error,
  );

async function setup() {
  const tmp = await tempBandHome();
  // A PATH with one executable `claude` and one file `codex` that cannot be run.
  const bin = join(tmp.home, 'bin');
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'claude'), '#!/bin/sh\n');
  await chmod(join(bin, 'claude'), 0o755);
  await writeFile(join(bin, 'codex'), 'not executable\n');
  const settings = await loadSettings({ home: tmp.home });
  const devices: Device[] = [
    { id: 'sess_laptop', listener: 'local', label: 'Chrome on Linux', createdAt: 1, lastSeenAt: 2 },
    { id: 'sess_phone', listener: 'tunnel', label: 'Chrome on Android', createdAt: 1, lastSeenAt: 2 },
  ];
  const gate = {
    listDevices: () => devices.map((d) => ({ ...d })),
    revokeDevice: (id: string) => {
      const at = devices.findIndex((d) => d.id === id);
      if (at >= 0) devices.splice(at, 1);
      return at >= 0;
    },
  } as unknown as Gate;
  const services = {
    settings: createSettingsService({ settings, env: { PATH: bin } }),
    devices: createDevicesService({ gate, settings }),
  } as unknown as Services;
  const as = (principal: Principal) => createCaller(createContextInner({ principal, services }));
  return {
    bin,
    settings,
    devices,
    as,
    async [Symbol.asyncDispose]() {
      await settings.close();
      await tmp[Symbol.asyncDispose]();
    },
  };
}

describe('agent commands are checked on save', () => {
  it(
    'a command that is not on PATH is refused with its name and how to install it; ' + 'the file is untouched',
    async () => {
      await using band = await setup();
      const error = await failure(
        band.as(local).settings.set({
          key: 'codingAgents',
          value: [{ id: 'oc', type: 'opencode', label: 'OpenCode', command: 'opencode' }],
        }),
      );
      expect(error.code).toBe('BAD_REQUEST');
      expect(error.message).toBe('Command not found: opencode (OpenCode)');
      expect(JSON.stringify(error.cause ?? {})).toContain('COMMAND_NOT_FOUND');
      expect(band.settings.get().codingAgents).toEqual([]);
    },
  );

  it('a file that is not executable, or a missing absolute path, is refused too', async () => {
    await using band = await setup();
    const notExecutable = await failure(
      band.as(local).settings.set({ key: 'codingAgents', value: [{ id: 'codex', type: 'codex', label: 'Codex' }] }),
    );
    expect(notExecutable.message).toBe('Command not found: codex (Codex)');
    const missing = await failure(
      band.as(local).settings.set({
        key: 'codingAgents',
        value: [{ id: 'c', type: 'claude-code', label: 'Mine', command: '/nowhere/claude' }],
      }),
    );
    expect(missing.message).toBe('Command not found: /nowhere/claude (Mine)');
  });

  it('one entry or one field by index (codingAgents.0.command) is checked like the whole list', async () => {
    await using band = await setup();
    const claude = join(band.bin, 'claude');
    await band
      .as(local)
      .settings.set({ key: 'codingAgents', value: [{ id: 'c', type: 'claude-code', label: 'Mine', command: claude }] });
    const field = await failure(
      band.as(local).settings.set({ key: 'codingAgents.0.command', value: '/nowhere/claude' }),
    );
    expect(field.message).toBe('Command not found: /nowhere/claude (Mine)');
    const entry = await failure(
      band.as(local).settings.set({ key: 'codingAgents.1', value: { id: 'oc', type: 'opencode', label: 'OpenCode' } }),
    );
    expect(entry.message).toBe('Command not found: opencode (OpenCode)');
    expect(band.settings.get().codingAgents).toEqual([
      { id: 'c', type: 'claude-code', label: 'Mine', command: claude },
    ]);
    // A field that names no command is not checked, and lands in its entry.
    const renamed = await band.as(local).settings.set({ key: 'codingAgents.0.label', value: 'Claude (pinned)' });
    expect(renamed.codingAgents).toEqual([{ id: 'c', type: 'claude-code', label: 'Claude (pinned)', command: claude }]);
  });

  it(
    'a name on PATH, the type default and an absolute path are saved; ' + 'an unchanged entry is not checked again',
    async () => {
      await using band = await setup();
      const claude = join(band.bin, 'claude');
      const saved = await band.as(local).settings.set({
        key: 'codingAgents',
        value: [
          { id: 'claude-code', type: 'claude-code', label: 'Claude Code' },
          { id: 'pinned', type: 'claude-code', label: 'Pinned', command: claude },
        ],
      });
      expect(saved.codingAgents.map((a) => a.id)).toEqual(['claude-code', 'pinned']);
      // An entry saved earlier whose CLI has gone since does not block adding another agent.
      await band.settings.set('codingAgents', [
        ...saved.codingAgents,
        { id: 'gone', type: 'opencode', label: 'Gone', command: 'opencode' },
      ]);
      const more = await band.as(local).settings.set({
        key: 'codingAgents',
        value: [
          ...band.settings.get().codingAgents,
          { id: 'c2', type: 'claude-code', label: 'Second', command: 'claude' },
        ],
      });
      expect(more.codingAgents.map((a) => a.id)).toEqual(['claude-code', 'pinned', 'gone', 'c2']);
      // Changing a saved agent's command checks the new one.
      const renamed = more.codingAgents.map((a, i) => (i === 0 ? { ...a, command: 'claude-nightly' } : a));
      const error = await failure(band.as(local).settings.set({ key: 'codingAgents', value: renamed }));
      expect(error.message).toBe('Command not found: claude-nightly (Claude Code)');
    },
  );
});

describe('devices: this device is marked and cannot revoke itself', () => {
  it('list marks the caller; the CLI (bearer token) has no current device', async () => {
    await using band = await setup();
    expect((await band.as(local).devices.list()).map((d) => [d.id, d.current])).toEqual([
      ['sess_laptop', true],
      ['sess_phone', false],
    ]);
    expect((await band.as(cli).devices.list()).every((d) => !d.current)).toBe(true);
  });

  it('revoking your own session is refused (it is a sign-out); another device is revoked', async () => {
    await using band = await setup();
    const error = await failure(band.as(local).devices.revoke({ id: 'sess_laptop' }));
    expect(error.code).toBe('CONFLICT');
    expect(error.message).toMatch(/the device you are using/);
    expect(band.devices.map((d) => d.id)).toEqual(['sess_laptop', 'sess_phone']);
    await band.as(local).devices.revoke({ id: 'sess_phone' });
    expect(band.devices.map((d) => d.id)).toEqual(['sess_laptop']);
    // The CLI may revoke any browser session.
    await band.as(cli).devices.revoke({ id: 'sess_laptop' });
    expect(band.devices).toEqual([]);
  });
});
