// A context whose actions are never run: for walking the command tree (docs, completion tests).
import type { CliContext } from './context.js';
import { createErrOutput, createOutput, createStyle } from './output.js';

export function inertContext(): CliContext {
  const sink = { write: () => true };
  const style = createStyle(false);
  const fail = () => {
    throw new Error('inert context: not connected');
  };
  return {
    get client(): never {
      return fail();
    },
    out: createOutput(sink, 'text', style),
    err: createErrOutput(sink, style),
    isTTY: false,
    env: {},
    cwd: '/',
    get connection(): never {
      return fail();
    },
    signal: new AbortController().signal,
    stdin: { on: () => undefined, off: () => undefined, resume: () => undefined, pause: () => undefined },
    terminalSize: () => undefined,
    onResize: () => () => {},
    handleInterrupt: () => {},
  };
}
