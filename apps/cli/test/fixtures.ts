// A Band home with the fake coding agent, and a git repository to register.
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeAgentPath } from '@band/agents/testing';

export async function writeBandSettings(home: string): Promise<void> {
  await writeFile(
    join(home, 'settings.json'),
    JSON.stringify({
      worktreesDir: join(home, 'worktrees'),
      codingAgents: [{ id: 'fake', type: 'claude-code', label: 'Fake agent', command: fakeAgentPath() }],
      defaultCodingAgent: 'fake',
    }),
  );
}

/** A git repository with one commit on `main`. */
export async function makeRepo(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
      stdio: 'ignore',
    });
  git('init', '-q', '-b', 'main');
  await writeFile(join(dir, 'README.md'), '# demo\n');
  git('add', '.');
  git('commit', '-q', '-m', 'init');
  return dir;
}
