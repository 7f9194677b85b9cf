// A long chat (issue 18, long histories) opens at its end on a phone: the latest messages first, older ones paged
// in from SQLite as the reader scrolls up (in order, none missing or doubled, the reader's place kept), and a
// message sent now appends after the paged history. Correctness only: the timings are in bench/long-history.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentEnv, fakeAgentPath } from '@band/agents/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BandServer, startServer } from '@band/server/start';
import { captureLogger, SLOW } from '../helpers.js';
import { eventsPerTurn, promptOf, seedLongChat } from '../seed-long-chat.mjs';
import { launchChromium, PHONE, signedInPage, tempDir, waitForLive } from './harness.js';

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'b',
  GIT_AUTHOR_EMAIL: 'b@b',
  GIT_COMMITTER_NAME: 'b',
  GIT_COMMITTER_EMAIL: 'b@b',
};
/** 120 turns of 30 events: 3,600 events, four pages of history. */
const TURNS = 120;
const DELTAS = 24;

/** The prompts in the DOM, top to bottom. */
const domPrompts = (page: Page) => page.locator('[data-testid="chat-prompt"]').allTextContents();

describe('long chat history on a phone', () => {
  let home: Awaited<ReturnType<typeof tempDir>>;
  let server: BandServer;
  let browser: Browser;
  let workspaceId: string;
  let chatId: string;

  beforeAll(async () => {
    home = await tempDir('band-ui-long-history-');
    const repo = join(home.path, 'repo');
    await mkdir(repo, { recursive: true });
    await writeFile(join(repo, 'README.md'), '# r\n');
    execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['add', '-A'], { cwd: repo, env: GIT_ENV });
    execFileSync('git', ['commit', '-q', '-m', 'init'], { cwd: repo, env: GIT_ENV });
    server = await startServer({
      home: join(home.path, 'band'),
      port: 0,
      logger: captureLogger(),
      env: { ...GIT_ENV, ...fakeAgentEnv({ scenario: 'ok' }) },
    });
    await server.settings.update((s) => ({
      ...s,
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }));
    const { project } = await server.api.services.projects.register({ path: repo });
    workspaceId = (
      await server.api.services.workspaces.create({ project: project.id, branch: 'long', waitForSetup: true })
    ).workspace.id;
    chatId = server.api.services.chats.create({ workspaceId }).id;
    const lastSeq = seedLongChat({ home: join(home.path, 'band'), chatId, turns: TURNS, deltas: DELTAS });
    expect(lastSeq).toBe(TURNS * eventsPerTurn(DELTAS));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await home?.[Symbol.asyncDispose]();
  });

  it('opens at the latest messages, pages older ones in order ' +
    'as it scrolls up, and appends a live one after them', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    // The newest page comes with the page's HTML (read on the server); the pane takes it at hydration.
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    const transcript = page.locator('[data-testid="chat-transcript"]');

    // Latest first: the last message is on screen, the first is nowhere in the page, and not every turn is in the DOM.
    const last = page.locator('[data-testid="chat-prompt"]', { hasText: promptOf(TURNS - 1) });
    await last.waitFor({ timeout: 30_000 });
    await expect.poll(() => last.isVisible(), { ...SLOW, message: 'the last message is on screen' }).toBe(true);
    expect(await domPrompts(page)).not.toContain(promptOf(0));
    expect(await page.locator('[data-testid="chat-turn"]').count()).toBeLessThan(TURNS / 2);
    expect(await transcript.getAttribute('data-has-older')).toBe('true');

    // Scroll up a screen at a time. Every view is a run of consecutive messages in order; together they are all of
    // them.
    const seen = new Set<string>();
    const check = async () => {
      const prompts = await domPrompts(page);
      const numbers = prompts.map((p) => Number(/^message (\d+)$/.exec(p)?.[1]));
      expect(numbers.every(Number.isInteger), prompts.join(', ')).toBe(true);
      expect(numbers, 'consecutive and in order').toEqual(numbers.map((_, i) => numbers[0]! + i));
      for (const p of prompts) seen.add(p);
      return numbers[0]!;
    };
    let first = await check();
    while (first > 0 || (await transcript.getAttribute('data-has-older')) === 'true') {
      // The first message on screen and where it is, then a scroll up: it moves down by what was scrolled, and no
      // more, even when the page before it arrives meanwhile (the reader keeps their place).
      const { key, y, scrolled } = await transcript.evaluate((el) => {
        const top = el.getBoundingClientRect().top;
        const turn = [...el.querySelectorAll<HTMLElement>('[data-testid="chat-turn"]')].find(
          (t) => t.getBoundingClientRect().bottom > top + 1,
        )!;
        const at = el.scrollTop;
        const y = turn.getBoundingClientRect().top;
        el.scrollBy(0, -el.clientHeight * 0.8);
        return { key: turn.dataset.turnKey!, y, scrolled: at - el.scrollTop };
      });
      await page.waitForFunction(
        () => document.querySelector('[data-testid="chat-transcript"]')?.getAttribute('data-loading-older') === 'false',
        null,
        { timeout: 30_000 },
      );
      const place = () =>
        transcript.evaluate(
          (el, k) => el.querySelector<HTMLElement>(`[data-turn-key="${k}"]`)?.getBoundingClientRect().top ?? Number.NaN,
          key,
        );
      await expect
        .poll(async () => Math.abs((await place()) - (y + scrolled)), {
          ...SLOW,
          message: `turn ${key} stays where the scroll put it`,
        })
        .toBeLessThan(3);
      first = await check();
    }
    expect(await transcript.getAttribute('data-has-older')).toBe('false');
    expect([...seen].sort()).toEqual(Array.from({ length: TURNS }, (_, i) => promptOf(i)));

    // Each message's reply is whole (its deltas joined across page boundaries) and its tool call paired with its
    // result.
    await transcript.evaluate((el) => el.scrollTo(0, 0));
    const firstTurn = page.locator('[data-testid="chat-turn"]').first();
    await expect.poll(() => firstTurn.locator('[data-testid="chat-prompt"]').textContent(), SLOW).toBe(promptOf(0));
    expect((await firstTurn.locator('[data-testid="chat-text"]').textContent())?.trim()).toBe(
      `Reply to ${promptOf(0)}: ${Array.from({ length: DELTAS - 1 }, (_, d) => `word${d + 1}`).join(' ')}`,
    );
    expect(await firstTurn.locator('[data-testid="chat-tool"]').count()).toBe(1);

    // Back at the bottom, a message sent now (answered live) comes after the paged history, once.
    await transcript.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(() => last.isVisible(), { ...SLOW, message: 'back at the bottom' }).toBe(true);
    await page.fill('[data-testid="chat-input"]', 'a live one');
    await page.click('[data-testid="chat-send"]');
    const reply = page.locator('[data-testid="chat-text"]', { hasText: 'You said: a live one' });
    await reply.waitFor({ timeout: 30_000 });
    await page
      .locator('[data-testid="chat-turn"]')
      .last()
      .locator('[data-testid="chat-result"]')
      .waitFor({ timeout: 30_000 });
    expect((await domPrompts(page)).slice(-2)).toEqual([promptOf(TURNS - 1), 'a live one']);
    expect(await page.locator('[data-testid="chat-prompt"]', { hasText: 'a live one' }).count()).toBe(1);
    expect(await reply.count()).toBe(1);
    await expect.poll(() => reply.isVisible(), { ...SLOW, message: 'the live reply is on screen' }).toBe(true);
    await context.close();
  }, 180_000);

  // A re-render can land between a scroll and its scroll event (the event fires at the next frame): a turn measured
  // anew, a streamed delta. It must not undo the scroll, whether the reader followed the bottom or read older turns.
  it('keeps a scroll that a re-render lands on before its scroll event', async () => {
    const { context, page } = await signedInPage(browser, server, PHONE);
    await page.goto(`${server.url}/w/${workspaceId}`);
    await waitForLive(page);
    const transcript = page.locator('[data-testid="chat-transcript"]');
    await page.locator('[data-testid="chat-prompt"]', { hasText: promptOf(TURNS - 1) }).waitFor({ timeout: 30_000 });
    await expect.poll(() => transcript.getAttribute('data-loading-older'), SLOW).toBe('false');

    /** In one animation frame: scroll up by `by` and grow the last turn in the DOM (below the reader), so the
     * transcript re-renders before the scroll event. Then where the first turn on screen was, is, and should be. */
    const raceScroll = (by: number) =>
      transcript.evaluate(
        (el, by) =>
          new Promise<{ key: string; want: number; at: number; gap: number }>((resolve) => {
            requestAnimationFrame(() => {
              const top = el.getBoundingClientRect().top;
              const turns = [...el.querySelectorAll<HTMLElement>('[data-testid="chat-turn"]')];
              const turn = turns.find((t) => t.getBoundingClientRect().bottom > top + 1)!;
              const y = turn.getBoundingClientRect().top;
              const before = el.scrollTop;
              el.scrollBy(0, -by);
              const want = y + (before - el.scrollTop);
              const grown = turns.at(-1)!;
              grown.style.minHeight = `${grown.offsetHeight + 120}px`;
              // Two frames later the re-render and the scroll event have both happened.
              requestAnimationFrame(() =>
                requestAnimationFrame(() =>
                  resolve({
                    key: turn.dataset.turnKey!,
                    want,
                    at: el
                      .querySelector<HTMLElement>(`[data-turn-key="${turn.dataset.turnKey}"]`)!
                      .getBoundingClientRect().top,
                    gap: el.scrollHeight - el.scrollTop - el.clientHeight,
                  }),
                ),
              );
            });
          }),
        by,
      );

    // Following the bottom: a flick up is kept, and the view stops following.
    const fromBottom = await raceScroll(300);
    expect(Math.abs(fromBottom.at - fromBottom.want), `turn ${fromBottom.key} where the flick put it`).toBeLessThan(3);
    expect(fromBottom.gap, 'no longer at the bottom').toBeGreaterThan(200);

    // Reading older turns: the scroll is kept, not put back where the last anchor was.
    const inMiddle = await raceScroll(250);
    expect(Math.abs(inMiddle.at - inMiddle.want), `turn ${inMiddle.key} where the scroll put it`).toBeLessThan(3);
    await context.close();
  }, 120_000);
});
