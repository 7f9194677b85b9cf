// The shared test tooling's temp folder (tooling/testing/run-temp.mjs), tested here with the other shared
// infrastructure. Every package's suite runs inside one; these tests check that, and what closing it keeps.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeRunTemp, openRunTemp } from '../../../tooling/testing/run-temp.mjs';

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function fill(dir: string, names: string[]): void {
  for (const name of names) {
    mkdirSync(join(dir, name, 'inner'), { recursive: true });
    writeFileSync(join(dir, name, 'inner', 'file'), 'x');
  }
}

describe('a run temp folder', () => {
  it('is this suite’s TMPDIR (and Claude Code’s), and the processes a test starts inherit it', () => {
    expect(basename(tmpdir())).toMatch(/^bt-/);
    expect(process.env.CLAUDE_CODE_TMPDIR).toBe(tmpdir());
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(require("node:os").tmpdir())'], {
      encoding: 'utf8',
    });
    expect(child.stdout).toBe(tmpdir());
  });

  it('is removed on close with what the agent CLIs and the tunnel keep in it', () => {
    const dir = openRunTemp();
    made.push(dir);
    expect(dirname(dir)).toBe(tmpdir());
    fill(dir, ['claude-0', 'codex-bwrap-Ab12', 'pulse-PKdhtXMmr18n', 'band-tunnel-0', 'band-tunnel-0-xY9']);
    expect(closeRunTemp(dir)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('keeps what a test left, and names it', () => {
    const dir = openRunTemp();
    made.push(dir);
    fill(dir, ['claude-0', 'band-home-abc']);
    writeFileSync(join(dir, 'claude-notes.txt'), 'not the CLI’s folder name');
    expect(closeRunTemp(dir).sort()).toEqual(['band-home-abc', 'claude-notes.txt']);
    expect(readdirSync(dir).sort()).toEqual(['band-home-abc', 'claude-notes.txt']);
  });

  it('says on stderr, for whoever ran, what was left', () => {
    const dir = openRunTemp();
    made.push(dir);
    fill(dir, ['band-home-abc']);
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      expect(closeRunTemp(dir, 'npm run bench')).toEqual(['band-home-abc']);
      expect(write).toHaveBeenCalledWith(`npm run bench left 1 temp entries in ${dir}: band-home-abc\n`);
    } finally {
      write.mockRestore();
    }
  });

  it('is already closed when the folder is gone', () => {
    const gone = join(mkdtempSync(join(tmpdir(), 'gone-')), 'never-made');
    made.push(dirname(gone));
    expect(closeRunTemp(gone)).toEqual([]);
  });
});
