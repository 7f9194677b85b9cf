import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  chmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Store } from '@band/store';
import { BandApiError, notFound } from '../errors.js';
import { claimedImageType, cleanMediaType, sanitizeFileName, sniffImageType } from './file-checks.js';

/** Upload limits (docs/security.md). */
export const uploadLimits = Object.freeze({
  /** Bytes per file: 20 MiB. */
  maxFileBytes: 20 * 1024 * 1024,
  /** Attachments per message. */
  maxFilesPerMessage: 10,
  /** Bytes kept per workspace: 1 GiB. Uploads stay until their workspace is removed (Retry sends them again). */
  maxWorkspaceBytes: 1024 * 1024 * 1024,
});

/** A stored upload as a message records it (and the chat shows it). */
export interface Attachment {
  id: string;
  /** The sanitised name. */
  name: string;
  size: number;
  /** For an image, the type its bytes proved; otherwise the declared type (a label only). */
  mediaType: string;
  /** `image` only for PNG, JPEG, GIF and WebP whose bytes match their declared type. */
  kind: 'image' | 'file';
}

/** An attachment with its absolute path (never sent to clients). */
export interface StoredAttachment extends Attachment {
  path: string;
}

export interface SaveUploadInput {
  workspaceId: string;
  /** The name the browser gave. */
  name: string;
  /** The declared media type (`File.type`). */
  type: string;
  bytes: Uint8Array;
}

export interface UploadService {
  readonly limits: typeof uploadLimits;
  /** Checks and stores one file under `BAND_HOME/uploads/<workspaceId>/` (0600, folders 0700). */
  save(input: SaveUploadInput): Promise<Attachment>;
  /** The uploads of a workspace by id, in the order given; an id of another workspace is NOT_FOUND. */
  resolve(workspaceId: string, ids: readonly string[]): StoredAttachment[];
  /** `BAND_HOME/uploads/<workspaceId>` (what an agent may read: Claude Code's `--add-dir`). */
  folderOf(workspaceId: string): string;
  /**
   * Deletes a workspace's uploads (after the workspace is removed).
   * A symlink in its place is unlinked, never followed.
   */
  removeWorkspace(workspaceId: string): void;
}

export interface UploadServiceDeps {
  home: string;
  store: Store;
}

/** `i` + 24 hex for an image, `f` + 24 hex for a file: the kind decided at upload is part of the id. */
const ID = /^[if][0-9a-f]{24}$/;
const SAFE_SEGMENT = /^[A-Za-z0-9_-]{1,100}$/;
const MiB = 1024 * 1024;

export const fileTooLarge = (name: string, size: number) =>
  new BandApiError(
    'TOO_LARGE',
    `${name} is ${(size / MiB).toFixed(1)} MiB: ` +
      `attachments are limited to ${uploadLimits.maxFileBytes / MiB} MiB per file`,
    {
      reason: 'FILE_TOO_LARGE',
      hint: 'Send a smaller file (a screenshot, or a compressed copy).',
    },
  );

const uploadsFull = (name: string, used: number, size: number, dir: string) =>
  new BandApiError(
    'TOO_LARGE',
    `${name} (${(size / MiB).toFixed(1)} MiB) does not fit: this workspace's uploads already take ` +
      `${(used / MiB).toFixed(1)} MiB of the ${uploadLimits.maxWorkspaceBytes / MiB} MiB a workspace may keep`,
    {
      reason: 'UPLOADS_FULL',
      hint:
        `Delete attachments the chat no longer needs from ${dir}, ` +
        'or remove a finished workspace (its uploads go with it).',
    },
  );

/** Bytes of the regular files in a workspace's upload folder (apparent size; symlinks and folders are not counted). */
function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isFile()) total += lstatSync(join(dir, entry.name), { throwIfNoEntry: false })?.size ?? 0;
  }
  return total;
}

/** A directory that is ours: created 0700 if missing, refused if it is a symlink or not a directory. */
function ensurePrivateDir(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stat = lstatSync(path);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new BandApiError('FORBIDDEN', `${path} is not a plain folder: uploads are never written through a symlink`, {
      reason: 'UPLOADS_DIR_NOT_A_DIRECTORY',
      hint: `Remove ${path}; Band recreates it.`,
    });
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(path, 0o700);
}

function sniffFile(path: string) {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const head = Buffer.alloc(16);
    return sniffImageType(head.subarray(0, readSync(fd, head, 0, 16, 0)));
  } finally {
    closeSync(fd);
  }
}

export function createUploadService(deps: UploadServiceDeps): UploadService {
  const root = join(deps.home, 'uploads');
  /** Declared types of non-image files, kept since upload (a label only; after a restart they read as octet-stream). */
  const declared = new Map<string, { workspaceId: string; mediaType: string }>();
  /** Bytes being written per workspace: two uploads at once must not both fit in the same free space. */
  const writing = new Map<string, number>();

  function workspaceOf(workspaceId: string) {
    const workspace = SAFE_SEGMENT.test(workspaceId) ? deps.store.workspaces.get(workspaceId) : undefined;
    if (!workspace) throw notFound('workspace', workspaceId);
    return workspace;
  }

  function folderOf(workspaceId: string): string {
    if (!SAFE_SEGMENT.test(workspaceId)) throw notFound('workspace', workspaceId);
    return join(root, workspaceId);
  }

  async function save(input: SaveUploadInput): Promise<Attachment> {
    const workspace = workspaceOf(input.workspaceId);
    const name = sanitizeFileName(input.name);
    const size = input.bytes.byteLength;
    if (size > uploadLimits.maxFileBytes) throw fileTooLarge(name, size);
    const claimed = claimedImageType(input.type);
    const actual = sniffImageType(input.bytes);
    if (claimed && claimed !== actual) {
      throw new BandApiError(
        'INVALID_INPUT',
        `${name} says it is ${claimed} but its content is ` + (actual ?? 'not a PNG, JPEG, GIF or WebP image'),
        { reason: 'IMAGE_TYPE_MISMATCH', hint: 'Attach the original image, or rename the file to its real type.' },
      );
    }
    const kind = claimed ? 'image' : 'file';
    const mediaType = claimed ?? cleanMediaType(input.type);
    ensurePrivateDir(root);
    const dir = folderOf(workspace.id);
    ensurePrivateDir(dir);
    const used = folderBytes(dir) + (writing.get(workspace.id) ?? 0);
    if (used + size > uploadLimits.maxWorkspaceBytes) throw uploadsFull(name, used, size, dir);
    writing.set(workspace.id, (writing.get(workspace.id) ?? 0) + size);
    try {
      return await write(workspace.id, dir, name, kind, mediaType, input.bytes);
    } finally {
      const left = (writing.get(workspace.id) ?? size) - size;
      if (left > 0) writing.set(workspace.id, left);
      else writing.delete(workspace.id);
    }
  }

  async function write(
    workspaceId: string,
    dir: string,
    name: string,
    kind: Attachment['kind'],
    mediaType: string,
    bytes: Uint8Array,
  ): Promise<Attachment> {
    const id = `${kind === 'image' ? 'i' : 'f'}${randomBytes(12).toString('hex')}`;
    const path = join(dir, `${id}-${name}`);
    // O_EXCL + O_NOFOLLOW: never through a symlink, never over an existing file.
    const handle = await open(
      path,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
      0o600,
    );
    try {
      await handle.chmod(0o600);
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
    if (kind === 'file') declared.set(id, { workspaceId, mediaType });
    return { id, name, size: bytes.byteLength, mediaType, kind };
  }

  function resolve(workspaceId: string, ids: readonly string[]): StoredAttachment[] {
    if (ids.length === 0) return [];
    if (ids.length > uploadLimits.maxFilesPerMessage) {
      throw new BandApiError(
        'INVALID_INPUT',
        `${ids.length} attachments: a message takes at most ${uploadLimits.maxFilesPerMessage} files`,
        {
          reason: 'TOO_MANY_ATTACHMENTS',
          hint: 'Send the rest in another message.',
        },
      );
    }
    const dir = folderOf(workspaceId);
    let entries: string[] = [];
    try {
      const stat = lstatSync(dir);
      if (stat.isDirectory() && !stat.isSymbolicLink()) entries = readdirSync(dir);
    } catch {
      // no uploads for this workspace: every id is unknown
    }
    return ids.map((id) => {
      const entry = ID.test(id) ? entries.find((e) => e.startsWith(`${id}-`)) : undefined;
      const path = entry ? join(dir, entry) : undefined;
      const stat = path ? lstatSync(path, { throwIfNoEntry: false }) : undefined;
      if (!entry || !path || !stat?.isFile()) {
        throw new BandApiError('NOT_FOUND', `Attachment not found in this workspace: ${id}`, {
          reason: 'ATTACHMENT_NOT_FOUND',
          hint: 'Attach the file again.',
        });
      }
      // An image was proved at upload; its type is read back from its bytes. A file stays a file.
      const image = id.startsWith('i') ? sniffFile(path) : undefined;
      return {
        id,
        name: entry.slice(id.length + 1),
        size: stat.size,
        mediaType: image ?? declared.get(id)?.mediaType ?? 'application/octet-stream',
        kind: image ? 'image' : 'file',
        path,
      };
    });
  }

  function removeWorkspace(workspaceId: string): void {
    if (!SAFE_SEGMENT.test(workspaceId)) return;
    // rm never follows symlinks: a link in the folder's place (or inside it) is removed itself.
    rmSync(folderOf(workspaceId), { recursive: true, force: true });
    for (const [id, entry] of declared) if (entry.workspaceId === workspaceId) declared.delete(id);
  }

  return { limits: uploadLimits, save, resolve, folderOf, removeWorkspace };
}
