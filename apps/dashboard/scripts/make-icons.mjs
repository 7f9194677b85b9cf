#!/usr/bin/env node
// Renders the app icons (public/icons/*.png) from the Band mark with the Debian Chromium, so the PNGs in the
// manifest are the same drawing as src/app/icon.svg. Run it after changing the mark: `node scripts/make-icons.mjs`.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const out = fileURLToPath(new URL('../public/icons/', import.meta.url));
const MARK =
  '<rect x="2" y="2" width="20" height="20" rx="6" fill="#7aa2ff"/><path d="M7 ' +
  '8h10M7 12h10M7 16h6" stroke="#0b0d10" stroke-width="2.2" stroke-linecap="round"/>';
const BG = '#12151a';

/**
 * `any`: the mark alone on transparent. `full`: the mark centred on the app background, inside the maskable safe zone.
 */
const icons = [
  { name: 'icon-192.png', size: 192, kind: 'any' },
  { name: 'icon-512.png', size: 512, kind: 'any' },
  { name: 'icon-maskable-512.png', size: 512, kind: 'full' },
  { name: 'apple-touch-icon.png', size: 180, kind: 'full' },
];

mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage({ viewport: { width: 512, height: 512 } });
  for (const { name, size, kind } of icons) {
    // The maskable safe zone is the centre circle of 80 % of the size: the 20-unit mark fills 56 % of it.
    const svg =
      kind === 'any'
        ? `<svg xmlns="http://www.w3.org/2000/svg" viewBox="2 2 20 20" width="${size}" height="${size}">${MARK}</svg>`
        : `<svg xmlns="http://www.w3.org/2000/svg" ` +
          `viewBox="-6 -6 36 36" width="${size}" height="${size}"><rect x="-6" y="-6" ` +
          `width="36" height="36" fill="${BG}"/>${MARK}</svg>`;
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block}</style>${svg}`);
    await page.locator('svg').screenshot({ path: `${out}${name}`, omitBackground: true });
    process.stdout.write(`${name} ${size}x${size}\n`);
  }
} finally {
  await browser.close();
}
