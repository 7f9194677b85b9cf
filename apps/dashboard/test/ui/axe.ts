// A11y helpers for the Playwright tests: axe-core in the page plus the landmark, heading and touch-target checks.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { smallTouchTargets } from './harness.js';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

interface Audit {
  violations: string[];
  mains: number;
  h1s: string[];
}

/**
 * axe-core in the page (evaluated through the DevTools protocol, so the strict CSP stays as it is), plus the
 * landmark and heading counts of what is rendered (display:none parts of the other layout do not count).
 */
export async function audit(page: Page): Promise<Audit> {
  await page.evaluate(() => document.fonts.ready);
  await page.evaluate(`${AXE_SOURCE}\n;0`);
  return page.evaluate(async (tags) => {
    type AxeResult = { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<AxeResult> } }).axe;
    const result = await axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    const shown = (el: Element) =>
      (el as HTMLElement).offsetParent !== null || getComputedStyle(el).position === 'fixed';
    return {
      violations: result.violations.map(
        (v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      ),
      mains: [...document.querySelectorAll('main, [role="main"]')].filter(shown).length,
      h1s: [...document.querySelectorAll('h1, [role="heading"][aria-level="1"]')]
        .filter(shown)
        .map((h) => h.textContent?.trim() ?? ''),
    };
  }, TAGS);
}

/** Fails on any axe violation (best practices included), on other than one main and one h1, on a small phone target. */
export async function expectAccessible(page: Page, screen: string, isPhone: boolean) {
  const result = await audit(page);
  expect(result.violations, `${screen}: axe violations`).toEqual([]);
  expect(result.mains, `${screen}: main landmarks`).toBe(1);
  expect(result.h1s, `${screen}: level-one headings`).toHaveLength(1);
  if (isPhone) expect(await smallTouchTargets(page), `${screen}: touch targets under 44 px`).toEqual([]);
}
