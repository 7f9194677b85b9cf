import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** True for a regular file this process may execute (a folder or a missing file is not). */
export function isExecutableFile(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resolves `command` like a shell would (a path, or a name searched on `PATH`). Undefined when not found.
 * A relative path (`./bin/agent`) is resolved against `cwd` (default: the process's).
 */
export function findExecutable(
  command: string,
  env: NodeJS.ProcessEnv,
  cwd?: string,
  isExecutable: (file: string) => boolean = isExecutableFile,
): string | undefined {
  if (command === '') return undefined;
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd ?? '.', command);
    return isExecutable(file) ? file : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    if (isExecutable(file)) return file;
  }
  return undefined;
}
