// Helpers for the tests that run the real app under a virtual X server (Xvfb + xdotool + ImageMagick).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';

const run = promisify(execFile);

/** Names of the tools that are missing (empty when the X11 tests can run). */
export function missingX11Tools(): string[] {
  return ['Xvfb', 'xdotool', 'import'].filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
}

/** Starts Xvfb on a free display (it picks one and tells us through -displayfd); stopped after the test. */
export async function startXvfb(size = '1280x860x24'): Promise<string> {
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', size, '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    xvfb.kill('SIGTERM');
  });
  const display = await new Promise<string>((resolve, reject) => {
    let text = '';
    xvfb.stdio[3]!.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) resolve(`:${text.trim()}`);
    });
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited with code ${code}`)));
  });
  return display;
}

export async function xdotool(display: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('xdotool', args, { env: { ...process.env, DISPLAY: display }, timeout: 120_000 });
  return stdout.trim();
}

/**
 * Waits for a visible window of this WM class and returns its id.
 * `xdotool search` walks the window tree; a window that the browser creates and destroys during the walk makes it
 * fail with BadWindow. That is a race in the walk, not an answer, so search again (until the deadline).
 */
export async function findWindow(display: string, wmClass: string, timeoutMs = 120_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const ids = await xdotool(display, 'search', '--sync', '--onlyvisible', '--class', wmClass);
      return ids.split('\n')[0]!;
    } catch (error) {
      const text = String((error as { stderr?: string }).stderr ?? error);
      if (!text.includes('BadWindow') || Date.now() > deadline) throw error;
    }
  }
}

export async function screenshot(display: string, windowId: string, file: string): Promise<void> {
  await run('import', ['-window', windowId, file], { env: { ...process.env, DISPLAY: display }, timeout: 30_000 });
}

/** Closes a window the way a user does: focus it, press Ctrl+W. */
export async function closeWindowByKeyboard(display: string, windowId: string): Promise<void> {
  await xdotool(display, 'windowfocus', '--sync', windowId);
  await xdotool(display, 'key', '--clearmodifiers', 'ctrl+w');
}
