import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { escapeHtml, renderErrorPage, writeErrorPage } from '../src/error-page.js';
import { tempDir } from './helpers.js';

describe('renderErrorPage', () => {
  it('shows the message, the fix and the code', () => {
    const html = renderErrorPage({
      message: 'Port 3456 is already in use',
      hint: 'Stop the other process',
      code: 'PORT_IN_USE',
    });
    expect(html).toContain('<title>Band could not start</title>');
    expect(html).toContain('Port 3456 is already in use');
    expect(html).toContain('How to fix it');
    expect(html).toContain('Stop the other process');
    expect(html).toContain('PORT_IN_USE');
  });

  it('escapes hostile text from settings files and server output', () => {
    const html = renderErrorPage({
      message: '/home/x/<script>alert(1)</script>/settings.json is not valid JSON',
      hint: '"><img src=x onerror=alert(1)>',
      details: '</pre><script>steal()</script>',
    });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('forbids scripts and network loads through its CSP', () => {
    expect(renderErrorPage({ message: 'x' })).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it('leaves out empty sections', () => {
    const html = renderErrorPage({ message: 'x', details: '  \n ' });
    expect(html).not.toContain('How to fix it');
    expect(html).not.toContain('<details>');
  });

  it('escapes every special character', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
  });
});

describe('writeErrorPage', () => {
  it('writes a 0600 file and returns its file:// URL', async () => {
    const dir = await tempDir();
    const url = await writeErrorPage(join(dir, 'desktop', 'error.html'), { message: 'broken', hint: 'fix it' });
    expect(url.startsWith('file://')).toBe(true);
    const file = fileURLToPath(url);
    expect(await readFile(file, 'utf8')).toContain('broken');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('produces a valid URL for paths with spaces and #', async () => {
    const dir = await tempDir('band desktop #1 ');
    const url = await writeErrorPage(join(dir, 'error.html'), { message: 'x' });
    expect(fileURLToPath(url)).toBe(join(dir, 'error.html'));
    expect(url).not.toMatch(/ /);
  });
});
