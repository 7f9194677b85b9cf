import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ErrorPageContent {
  /** One line: what went wrong. */
  message: string;
  /** The fix. */
  hint?: string;
  /** Machine code, e.g. PORT_IN_USE. */
  code?: string;
  /** Extra lines (the server's stderr tail), shown folded. */
  details?: string;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text; error messages quote paths and settings that the user (or an attacker) controls. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * A self-contained page (no scripts, no network) that says what failed and how to fix it.
 * The CSP forbids scripts so text taken from a settings file can never run.
 */
export function renderErrorPage(content: ErrorPageContent): string {
  // Settings hints start lower-case ("repair the JSON in …") because they also follow "fix:" in the terminal.
  const fix = content.hint ? content.hint.charAt(0).toUpperCase() + content.hint.slice(1) : '';
  const hint = fix ? `<h2>How to fix it</h2><p class="hint" data-testid="error-hint">${escapeHtml(fix)}</p>` : '';
  const code = content.code
    ? `<p class="code">Error code: <code data-testid="error-code">${escapeHtml(content.code)}</code></p>`
    : '';
  const details = content.details?.trim()
    ? `<details><summary>Server output</summary><pre>${escapeHtml(content.details.trim())}</pre></details>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Band could not start</title>
<style>
  :root { color-scheme: light dark; --bg: #f6f7f9; --fg: #111827; --muted: #4b5563; --danger: #b42318; --box: \
#ffffff; --border: #d0d5dd; }
  @media (prefers-color-scheme: dark) { :root { --bg: #0b0d12; --fg: #e6e8ee; --muted: #9aa3b2; --danger: #ffb4ab; \
--box: #151a23; --border: #273043; } }
  body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; background: var(--bg); color: \
var(--fg); }
  main { max-width: 640px; margin: 12vh auto; padding: 0 24px; }
  h1 { font-size: 22px; margin: 0 0 8px; }
  h2 { font-size: 13px; margin: 24px 0 6px; color: var(--muted); text-transform: uppercase; letter-spacing: .06em; }
  .message { font-size: 17px; color: var(--danger); }
  .hint { background: var(--box); border: 1px solid var(--border); border-radius: 8px; padding: 12px 14px; }
  .code, .next, summary { color: var(--muted); }
  pre { white-space: pre-wrap; word-break: break-word; background: var(--box); border: 1px solid var(--border); \
padding: 12px; border-radius: 8px; font-size: 12px; }
</style>
</head>
<body>
<main>
<h1>Band could not start</h1>
<p class="message" data-testid="error-message">${escapeHtml(content.message)}</p>
${hint}
${code}
${details}
<p class="next">After fixing it, close this window and open Band again.</p>
</main>
</body>
</html>
`;
}

/** Writes the page (mode 0600: it may quote local paths) and returns its file:// URL for the window. */
export async function writeErrorPage(file: string, content: ErrorPageContent): Promise<string> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, renderErrorPage(content), { mode: 0o600 });
  return pathToFileURL(file).href;
}
