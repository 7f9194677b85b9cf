import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/** Resolves `command` like a shell would (a path, or a name searched on `PATH`). Undefined when not found. */
export function findExecutable(command: string, env: NodeJS.ProcessEnv, cwd?: string): string | undefined {
  if (command === '') return undefined;
  const isExecutableFile = (file: string) => {
    try {
      if (!statSync(file).isFile()) return false;
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const file = isAbsolute(command) ? command : resolve(cwd ?? '.', command);
    return isExecutableFile(file) ? file : undefined;
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, command);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}
