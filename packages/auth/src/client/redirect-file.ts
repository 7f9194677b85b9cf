// Handing a secret URL to a browser without putting it on a command line (issue 16 #5, as Jupyter does): the browser
// is started on a small redirect page in a 0600 file inside the 0700 Band home, so argv (and `/proc/<pid>/cmdline` of
// the browser and of any opener) holds only the file's path. Other local users cannot read the file; the caller
// removes it once the secret is used or has expired. Used by `band open` and the desktop app.
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The names of redirect files: `band-open-<16 hex>.html`, directly in the directory given (the Band home). */
export const REDIRECT_FILE_PATTERN = /^band-open-[0-9a-f]{16}\.html$/;

/** The redirect page for `url`: `location.replace` plus a meta refresh and a link, with no referrer. */
export function redirectPage(url: string): string {
  const attr = url.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
  const js = JSON.stringify(url).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="1;url=${attr}"><title>Band</title></head>
<body><p>Opening Band… If nothing happens, <a href="${attr}">open the dashboard</a>.</p>
<script>location.replace(${js});</script></body></html>
`;
}

/**
 * Writes a redirect file for `url` in `dir` (the Band home) with O_EXCL | O_NOFOLLOW and mode 0600, and returns its
 * path. Point the browser at `pathToFileURL(path)`, and `rm` the file once the secret in `url` is used or expired.
 */
export async function writeRedirectFile(dir: string, url: string): Promise<string> {
  const file = join(dir, `band-open-${randomBytes(8).toString('hex')}.html`);
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  try {
    await handle.chmod(0o600); // the umask can only narrow the mode, but be explicit
    await handle.writeFile(redirectPage(url), 'utf8');
  } finally {
    await handle.close();
  }
  return file;
}

/** Removes redirect files in `dir` older than `olderThanMs`, left by a process that was killed before its cleanup. */
export async function sweepRedirectFiles(dir: string, olderThanMs: number, now = Date.now()): Promise<void> {
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names) {
    if (!REDIRECT_FILE_PATTERN.test(name)) continue;
    const file = join(dir, name);
    const info = await lstat(file).catch(() => undefined);
    if (info?.isFile() && now - info.mtimeMs > olderThanMs) await rm(file, { force: true });
  }
}
