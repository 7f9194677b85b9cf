// Files pane + the language-server endpoint: hover shows the type, Ctrl+click goes to the definition.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger } from '../helpers.js';
import { DESKTOP, launchChromium, signedInPage, tempDir } from './harness.js';

/** The viewport centre of `word` on a 0-based line of the open file. */
async function wordCenter(page: Page, line: number, word: string): Promise<{ x: number; y: number }> {
  return page.evaluate(
    ({ line, word }) => {
      const code = document.querySelector(`[data-testid="file-content"] [data-line="${line}"] [data-code]`)!;
      const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const at = node.textContent!.indexOf(word);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at + 1);
        range.setEnd(node, at + word.length - 1);
        const rect = range.getBoundingClientRect();
        return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
      }
      throw new Error(`${word} not on line ${line}`);
    },
    { line, word },
  );
}

describe('Files pane with the language server', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-lsp-');
    const repo = join(home.path, 'repo');
    await mkdir(join(repo, 'src'), { recursive: true });
    await writeFile(
      join(repo, 'src', 'util.ts'),
      'export function shout(text: string): string {\n  return text.toUpperCase();\n}\n',
    );
    await writeFile(
      join(repo, 'src', 'index.ts'),
      "import { shout } from './util';\n\nexport const greeting = shout('hello');\n",
    );
    await writeFile(
      join(repo, 'tsconfig.json'),
      '{ "compilerOptions": { "strict": true, "module": "esnext", "target": "es2022" } }\n',
    );
    const env = {
      ...process.env,
      GIT_AUTHOR_NAME: 'b',
      GIT_AUTHOR_EMAIL: 'b@b',
      GIT_COMMITTER_NAME: 'b',
      GIT_COMMITTER_EMAIL: 'b@b',
    };
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env });
    execFileSync('git', ['add', '-A'], { cwd: repo, env });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env });
    server = await startServer({ home: join(home.path, 'band'), port: 0, logger: captureLogger() });
    const { project } = await server.api.services.projects.register({ path: repo });
    workspaceId = (
      await server.api.services.workspaces.create({ project: project.id, branch: 'lsp', waitForSetup: true })
    ).workspace.id;
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('shows the type on hover and opens the definition on Ctrl+click', async () => {
    const { context, page } = await signedInPage(browser, server, DESKTOP);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await page.click('[data-testid="pane-tab-files"]');
    await page.click('[data-testid="tree-dir"][data-path="src"]');
    await page.click('[data-testid="tree-file"][data-path="src/index.ts"]');
    await page.waitForSelector('[data-testid="file-viewer"][data-path="src/index.ts"] [data-testid="file-content"]');

    const target = await wordCenter(page, 2, 'shout');
    // The language server starts on first use; hover again until it answers.
    await expect
      .poll(
        async () => {
          await page.mouse.move(target.x - 3, target.y);
          await page.mouse.move(target.x, target.y);
          return page
            .locator('[data-testid="lsp-hover"]')
            .textContent({ timeout: 3_000 })
            .catch(() => '');
        },
        { timeout: 60_000, interval: 500 },
      )
      .toContain('shout(text: string): string');

    await page.keyboard.down('Control');
    await page.mouse.click(target.x, target.y);
    await page.keyboard.up('Control');
    await page.waitForSelector('[data-testid="file-viewer"][data-path="src/util.ts"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid="file-content"]')).toContain('toUpperCase');
    await context.close();
  }, 120_000);
});
