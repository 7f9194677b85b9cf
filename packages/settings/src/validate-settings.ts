// What makes a settings value valid: the schema, the rules between fields, and the generated fields a first launch
// fills in. Also how `set` reads a CLI string and walks a key path.
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { z } from 'zod';
import { type SettingsError, invalidField, listIndexOutOfRange, malformedToken } from './errors.js';
import { settingsSchema } from './schema.js';
import { generateTokenSecret } from './token.js';
import type { Settings } from './types.js';

/** Fills generated fields (worktreesDir, tokenSecret) and schema defaults; reports whether anything was added. */
export function fillAndValidate(
  raw: Record<string, unknown>,
  home: string,
  file: string,
): { settings: Settings; changed: boolean } {
  const input: Record<string, unknown> = { ...raw };
  if (input.worktreesDir === undefined) input.worktreesDir = join(home, 'worktrees');
  // Only an ABSENT token is generated. A present but malformed one stops the server (never silently replaced).
  if (input.tokenSecret === undefined) input.tokenSecret = generateTokenSecret();
  const settings = validate(input, file);
  return { settings, changed: !isDeepStrictEqual(raw, settings) };
}

export function validate(input: unknown, file: string): Settings {
  const result = settingsSchema.safeParse(input);
  if (result.success) {
    const settings = result.data as Settings;
    if (settings.tunnel.originPort === settings.webServerPort) {
      throw invalidField(
        file,
        'tunnel.originPort',
        `must differ from webServerPort (${settings.webServerPort}): it is the named tunnel's own listener`,
      );
    }
    if (settings.tunnel.tokenFile !== undefined && settings.tunnel.credentialsFile !== undefined) {
      throw invalidField(
        file,
        'tunnel.credentialsFile',
        'cannot be set together with tunnel.tokenFile: a named tunnel runs either with a token (managed in ' +
          'Cloudflare) or with a credentials file (locally managed); `band tunnel setup` switches between them',
      );
    }
    return settings;
  }
  throw toSettingsError(result.error, file);
}

/** Refusals of a value of the wrong type, which `set` passes over when another reading of a CLI string got further. */
const WRONG_TYPE = new WeakSet<SettingsError>();

/** A refusal of a value of the wrong type (a CLI string read as JSON when the field wants the text, say). */
export function isWrongType(error: SettingsError): boolean {
  return WRONG_TYPE.has(error);
}

function toSettingsError(error: z.ZodError, file: string): SettingsError {
  const issue = error.issues[0];
  const field = issue?.path.map(String).join('.') || '(root)';
  if (field === 'tokenSecret') return malformedToken(file);
  const refusal = invalidField(file, field, describeIssue(issue));
  if (issue?.code === 'invalid_type') WRONG_TYPE.add(refusal);
  return refusal;
}

function describeIssue(issue: z.core.$ZodIssue | undefined): string {
  if (!issue) return 'is invalid';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'string' ? 'must not be empty' : `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    default:
      return `is invalid (${issue.message})`;
  }
}

/** For a CLI string, try its JSON reading first (4000, true, null, [..]) and fall back to the raw string. */
export function coerceCandidates(value: unknown): unknown[] {
  if (typeof value !== 'string') return [value];
  try {
    return [JSON.parse(value) as unknown, value];
  } catch {
    return [value];
  }
}

/** A list position in a key path: `codingAgents.0.command`. */
const INDEX_SEGMENT = /^(0|[1-9][0-9]{0,5})$/;

/**
 * Sets `value` at `segments`, creating objects on the way. A number after a list names an element
 * (`codingAgents.0.command`), and the number one past the end adds one; any other key of a list is refused. A value
 * on the way that is neither is replaced by an object, and validation then says what is wrong with the result.
 */
export function setPath(settings: Settings, segments: string[], value: unknown, file: string): Settings {
  let node: Record<string, unknown> | unknown[] = settings;
  const path: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const isLast = i === segments.length - 1;
    if (Array.isArray(node)) {
      const index = Number(segment);
      if (!INDEX_SEGMENT.test(segment) || index > node.length)
        throw listIndexOutOfRange(file, segments.join('.'), path.join('.'), node.length);
      if (isLast) node[index] = value;
      else {
        if (!node[index] || typeof node[index] !== 'object') node[index] = {};
        node = node[index] as Record<string, unknown> | unknown[];
      }
    } else if (isLast) {
      node[segment] = value;
    } else {
      const child = node[segment];
      if (!child || typeof child !== 'object') node[segment] = {};
      node = node[segment] as Record<string, unknown> | unknown[];
    }
    path.push(segment);
  }
  return settings;
}

/** Deep-frozen: a reader cannot change the settings everyone shares. */
export function freeze(settings: Settings): Settings {
  const deepFreeze = (value: unknown): void => {
    if (value && typeof value === 'object' && !Object.isFrozen(value)) {
      Object.freeze(value);
      for (const child of Object.values(value)) deepFreeze(child);
    }
  };
  deepFreeze(settings);
  return settings;
}
