// Attachments (issue 19): `uploads.create` behind the real gate and createBandApi, the way the Band server serves
// it, then `chats.send` with the ids.
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fakeAgentPath } from '@band/agents/testing';
import { bearerHeader, createTestGate, signInCookie } from '@band/auth/testing';
import type { Workspace } from '@band/store';
import { afterEach, describe, expect, it } from 'vitest';
import { createContextInner } from '../src/context.js';
import { type BandApi, createBandApi, UPLOAD_ROUTES } from '../src/create-band-api.js';
import { createCaller } from '../src/root.js';
import { sanitizeFileName, sniffImageType } from '../src/uploads/file-checks.js';
import { uploadLimits } from '../src/uploads/upload-service.js';
import { listenLoopback, waitFor } from './helpers.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
);
const MiB = 1024 * 1024;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

async function startBand() {
  const testGate = await createTestGate({ uploadRoutes: [...UPLOAD_ROUTES] });
  cleanups.push(() => testGate.close());
  await testGate.settings.update((s) => ({
    ...s,
    codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake', command: fakeAgentPath() }],
    defaultCodingAgent: 'fake',
  }));
  const api: BandApi = await createBandApi({
    home: testGate.home,
    settings: testGate.settings,
    gate: testGate.gate,
    env: { PATH: process.env.PATH },
  });
  const server: Server = createServer(async (req, res) => {
    const principal = await testGate.gate.handleRequest(req, res, 'local');
    if (!principal) return;
    if (!api.handleRequest(req, res, principal)) {
      res.statusCode = 404;
      res.end();
    }
  });
  const listening = await listenLoopback(server);
  cleanups.push(async () => {
    await api.close();
    await listening.close();
  });
  const { port } = listening;
  testGate.gate.setLocalPort(port);
  const { store } = api.services;
  const addWorkspace = (name: string): Workspace => {
    const path = join(testGate.home, 'repos', name);
    mkdirSync(path, { recursive: true });
    const project = store.projects.create({ name, path, defaultBranch: 'main' });
    return store.workspaces.create({
      projectId: project.id,
      branch: 'main',
      baseBranch: 'main',
      path,
      status: 'ready',
    });
  };
  const upload = async (
    workspaceId: string,
    file: { bytes: Uint8Array; name: string; type: string },
    token: string | Record<string, string> = testGate.token,
  ) => {
    const form = new FormData();
    form.set('workspaceId', workspaceId);
    form.set('file', new File([file.bytes], file.name, { type: file.type }));
    const headers = typeof token === 'string' ? bearerHeader(token) : token;
    const response = await fetch(`http://127.0.0.1:${port}${UPLOAD_ROUTES[0]}`, {
      method: 'POST',
      headers,
      body: form,
    });
    const body = (await response.json()) as {
      result?: { data: any };
      error?: { message: string; data: { code: string; reason?: string } };
    };
    return { status: response.status, data: body.result?.data, error: body.error };
  };
  const caller = createCaller(
    createContextInner({ principal: { kind: 'root', listener: 'local' }, services: api.services }),
  );
  const cookie = () => signInCookie(testGate.gate, testGate.token, { host: `127.0.0.1:${port}` });
  return {
    api,
    port,
    cookie,
    home: testGate.home,
    uploads: join(testGate.home, 'uploads'),
    addWorkspace,
    upload,
    caller,
  };
}

const mode = (path: string) => (lstatSync(path).mode & 0o777).toString(8);

describe('uploads.create over HTTP (multipart, through the gate)', () => {
  it('stores a PNG as an image under BAND_HOME/uploads/<workspace>/, file 0600, folders 0700', async () => {
    const band = await startBand();
    const ws = band.addWorkspace('demo');
    const { status, data } = await band.upload(ws.id, { bytes: PNG, name: 'screenshot.png', type: 'image/png' });
    expect(status).toBe(200);
    expect(data).toEqual({
      id: expect.stringMatching(/^i[0-9a-f]{24}$/),
      name: 'screenshot.png',
      size: PNG.length,
      mediaType: 'image/png',
      kind: 'image',
    });
    const file = join(band.uploads, ws.id, `${data.id}-screenshot.png`);
    expect(readFileSync(file).equals(PNG)).toBe(true);
    expect(mode(file)).toBe('600');
    expect(mode(join(band.uploads, ws.id))).toBe('700');
    expect(mode(band.uploads)).toBe('700');
  });

  it('refuses a wrong token: 401, nothing written', async () => {
    const band = await startBand();
    const ws = band.addWorkspace('demo');
    const { status } = await band.upload(ws.id, { bytes: PNG, name: 'a.png', type: 'image/png' }, 'f'.repeat(64));
    expect(status).toBe(401);
    expect(() => readdirSync(band.uploads)).toThrow();
  });

  it(
    'a browser session uploads from its own origin; ' + 'a cross-site form post with the cookie is refused (CSRF)',
    async () => {
      const band = await startBand();
      const ws = band.addWorkspace('demo');
      const cookie = await band.cookie();
      const own = `http://127.0.0.1:${band.port}`;
      const sameOrigin = await band.upload(
        ws.id,
        { bytes: PNG, name: 'a.png', type: 'image/png' },
        { cookie, origin: own, 'sec-fetch-site': 'same-origin', 'x-band-csrf': '1' },
      );
      expect(sameOrigin.status).toBe(200);
      const crossSite = await band.upload(
        ws.id,
        { bytes: PNG, name: 'b.png', type: 'image/png' },
        { cookie, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      );
      expect(crossSite.status).toBe(403);
      expect(readdirSync(join(band.uploads, ws.id))).toHaveLength(1);
    },
  );

  it('caps a file at 20 MiB with an error naming the limit (just over, and far over)', async () => {
    const band = await startBand();
    const ws = band.addWorkspace('demo');
    const justOver = await band.upload(ws.id, {
      bytes: new Uint8Array(uploadLimits.maxFileBytes + 1),
      name: 'big.bin',
      type: 'application/octet-stream',
    });
    expect(justOver.status).toBe(413);
    expect(justOver.error?.message).toMatch(/limited to 20 MiB per file/);
    expect(justOver.error?.data.reason).toBe('FILE_TOO_LARGE');
    const farOver = await band.upload(ws.id, {
      bytes: new Uint8Array(25 * MiB),
      name: 'huge.bin',
      type: 'application/octet-stream',
    });
    expect(farOver.status).toBe(413);
    expect(farOver.error?.message).toMatch(/limited to 20 MiB per file/);
    // Exactly at the limit is fine.
    expect(
      (await band.upload(ws.id, { bytes: new Uint8Array(uploadLimits.maxFileBytes), name: 'ok.bin', type: '' })).status,
    ).toBe(200);
    expect(readdirSync(join(band.uploads, ws.id))).toHaveLength(1);
  });

  it(
    'keeps at most 1 GiB per workspace: ' +
      'a full workspace refuses with the folder to clean, and takes files again once cleaned',
    async () => {
      const band = await startBand();
      const ws = band.addWorkspace('full');
      const other = band.addWorkspace('other');
      const first = await band.upload(ws.id, { bytes: Buffer.from('x'), name: 'a.txt', type: 'text/plain' });
      expect(first.status).toBe(200);
      // A sparse file stands for a year of screenshots: its size counts, and it takes no disk here.
      const dir = join(band.uploads, ws.id);
      const hoard = join(dir, 'f000000000000000000000000-hoard.bin');
      writeFileSync(hoard, '');
      truncateSync(hoard, uploadLimits.maxWorkspaceBytes - 1 - 1000);
      // 1,000 bytes are left: two 600-byte uploads at once, only one fits.
      const [one, two] = await Promise.all(
        ['b.bin', 'c.bin'].map((name) => band.upload(ws.id, { bytes: new Uint8Array(600), name, type: '' })),
      );
      expect([one!.status, two!.status].sort()).toEqual([200, 413]);
      const refused = one!.status === 413 ? one! : two!;
      expect(refused.error?.data.reason).toBe('UPLOADS_FULL');
      expect(refused.error?.message).toMatch(
        /does not fit: this workspace's uploads already take 1024\.0 MiB of the 1024 MiB/,
      );
      expect(readdirSync(dir)).toHaveLength(3);
      // Another workspace is not affected.
      expect((await band.upload(other.id, { bytes: new Uint8Array(600), name: 'd.bin', type: '' })).status).toBe(200);
      // Cleaning the folder (as the hint says) makes room again.
      rmSync(hoard);
      expect((await band.upload(ws.id, { bytes: new Uint8Array(600), name: 'e.bin', type: '' })).status).toBe(200);
    },
  );

  it(
    'refuses an image whose bytes are not what it claims; ' + 'a non-image file is accepted as a file, never an image',
    async () => {
      const band = await startBand();
      const ws = band.addWorkspace('demo');
      const fake = await band.upload(ws.id, {
        bytes: Buffer.from('<script>alert(1)</script>'),
        name: 'cat.png',
        type: 'image/png',
      });
      expect(fake.status).toBe(400);
      expect(fake.error?.data.reason).toBe('IMAGE_TYPE_MISMATCH');
      expect(fake.error?.message).toMatch(
        /cat\.png says it is image\/png but its content is not a PNG, JPEG, GIF or WebP image/,
      );
      const jpegAsPng = await band.upload(ws.id, {
        bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]),
        name: 'x.png',
        type: 'image/png',
      });
      expect(jpegAsPng.error?.data.reason).toBe('IMAGE_TYPE_MISMATCH');
      // PNG bytes declared as text: stored, but as a file (an agent never gets it as an image).
      const disguised = await band.upload(ws.id, { bytes: PNG, name: 'notes.txt', type: 'text/plain' });
      expect(disguised.data).toMatchObject({ kind: 'file', mediaType: 'text/plain', id: expect.stringMatching(/^f/) });
      const svg = await band.upload(ws.id, { bytes: Buffer.from('<svg/>'), name: 'logo.svg', type: 'image/svg+xml' });
      expect(svg.data).toMatchObject({ kind: 'file', mediaType: 'image/svg+xml' });
      expect(band.api.services.uploads.resolve(ws.id, [disguised.data.id])[0]).toMatchObject({ kind: 'file' });
    },
  );

  it(
    'strips hostile names (separators, control and bidi characters, ' + 'leading dots) and stays in the folder',
    async () => {
      const band = await startBand();
      const ws = band.addWorkspace('demo');
      const hostile = [
        '../../../.bashrc',
        'a/b\\c.txt',
        'evil\u202Egnp.exe',
        'bell\u0007\u001b[31m.txt',
        '\u2066x\u2069 \n y.txt',
        '..',
        '\u200B',
      ];
      const names: string[] = [];
      for (const name of hostile) {
        const { status, data, error } = await band.upload(ws.id, { bytes: Buffer.from('x'), name, type: 'text/plain' });
        expect({ name, status, error }).toEqual({ name, status: 200, error: undefined });
        names.push(data.name);
      }
      expect(names).toEqual(['_.._.._.bashrc', 'a_b_c.txt', 'evilgnp.exe', 'bell[31m.txt', 'x y.txt', 'file', 'file']);
      // Every file landed in the workspace folder, nowhere else.
      expect(readdirSync(band.uploads)).toEqual([ws.id]);
      expect(readdirSync(join(band.uploads, ws.id))).toHaveLength(hostile.length);
      expect(sanitizeFileName(`${'a'.repeat(300)}.png`)).toMatch(/^a{96}\.png$/);
    },
  );

  it('never writes through a symlink: a symlinked workspace folder is refused', async () => {
    const band = await startBand();
    const ws = band.addWorkspace('demo');
    const elsewhere = join(band.home, 'elsewhere');
    mkdirSync(elsewhere);
    mkdirSync(band.uploads, { mode: 0o700 });
    symlinkSync(elsewhere, join(band.uploads, ws.id));
    const { status, error } = await band.upload(ws.id, { bytes: PNG, name: 'a.png', type: 'image/png' });
    expect(status).toBe(403);
    expect(error?.data.reason).toBe('UPLOADS_DIR_NOT_A_DIRECTORY');
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it('removing a workspace deletes its uploads, and only its own', async () => {
    const band = await startBand();
    const gone = band.addWorkspace('gone');
    const kept = band.addWorkspace('kept');
    await band.upload(gone.id, { bytes: PNG, name: 'a.png', type: 'image/png' });
    const keptFile = (await band.upload(kept.id, { bytes: Buffer.from('x'), name: 'k.txt', type: 'text/plain' })).data;
    await band.api.services.workspaces.remove({ workspace: gone.id, force: true });
    expect(readdirSync(band.uploads)).toEqual([kept.id]);
    expect(band.api.services.uploads.resolve(kept.id, [keptFile.id])[0]).toMatchObject({
      name: 'k.txt',
      mediaType: 'text/plain',
    });
  });

  it('refuses an unknown workspace', async () => {
    const band = await startBand();
    const { status } = await band.upload('ws_nope', { bytes: PNG, name: 'a.png', type: 'image/png' });
    expect(status).toBe(404);
    expect(statSync(band.home).isDirectory()).toBe(true);
  });
});

describe('chats.send with attachment ids', () => {
  it(
    'records id, name, size and media type on the user message; ' +
      'refuses an id of another workspace or an unknown id',
    async () => {
      const band = await startBand();
      const mine = band.addWorkspace('mine');
      const theirs = band.addWorkspace('theirs');
      const shot = (await band.upload(mine.id, { bytes: PNG, name: 'shot.png', type: 'image/png' })).data;
      const other = (await band.upload(theirs.id, { bytes: PNG, name: 'other.png', type: 'image/png' })).data;

      await expect(
        band.caller.chats.send({ workspaceId: mine.id, message: 'look', attachmentIds: [other.id] }),
      ).rejects.toMatchObject({
        code: 'NOT_FOUND',
        cause: expect.objectContaining({ reason: 'ATTACHMENT_NOT_FOUND' }),
      });
      await expect(
        band.caller.chats.send({ workspaceId: mine.id, message: 'look', attachmentIds: ['../../etc/passwd'] }),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      await expect(
        band.caller.chats.send({
          workspaceId: mine.id,
          message: 'look',
          attachmentIds: Array.from({ length: 11 }, () => shot.id),
        }),
      ).rejects.toMatchObject({ code: 'BAD_REQUEST' });

      const { chat } = await band.caller.chats.send({
        workspaceId: mine.id,
        message: 'what is this?',
        attachmentIds: [shot.id],
      });
      const history = await waitFor(async () => {
        const h = await band.caller.chats.history({ chatId: chat.id });
        if (!h.events.some((e) => e.event.type === 'turn-end')) throw new Error('turn still running');
        return h;
      });
      const userMessages = history.events.filter((e) => e.event.type === 'user-message');
      expect(userMessages).toHaveLength(1);
      expect(userMessages[0]!.event).toMatchObject({
        text: 'what is this?',
        attachments: [{ id: shot.id, name: 'shot.png', size: PNG.length, mediaType: 'image/png' }],
      });
      expect(JSON.stringify(userMessages[0]!.event)).not.toContain(band.uploads); // no server paths in the log
    },
  );
});

it('sniffs PNG, JPEG, GIF and WebP by their first bytes', () => {
  expect(sniffImageType(PNG)).toBe('image/png');
  expect(sniffImageType(Buffer.from([0xff, 0xd8, 0xff, 0xdb]))).toBe('image/jpeg');
  expect(sniffImageType(Buffer.from('GIF89a...'))).toBe('image/gif');
  expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('image/webp');
  expect(sniffImageType(Buffer.from('RIFF\0\0\0\0WAVEfmt '))).toBeUndefined();
  expect(sniffImageType(Buffer.from('\x89PNG'))).toBeUndefined();
});
