import { describe, expect, it } from 'vitest';
import { BandError, hintOf } from '../src/index.js';

class ExampleError extends BandError<'ONE' | 'TWO', { extra?: number }> {
  override readonly name = 'ExampleError';
  declare readonly extra: number | undefined;
}

class HintedError extends BandError<'THREE', { hint: string }> {
  override readonly name = 'HintedError';
  declare readonly hint: string;
}

describe('BandError', () => {
  it('keeps the code, the message and the hint apart', () => {
    const error = new ExampleError('ONE', 'It broke.', { hint: 'mend it', extra: 7 });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(ExampleError);
    expect(error.message).toBe('It broke.');
    expect(error.hint).toBe('mend it');
    expect(error.code).toBe('ONE');
    expect(error.extra).toBe(7);
    expect(String(error)).toBe('ExampleError: It broke.');
  });

  it('has a cause only when one is given', () => {
    const root = new Error('root');
    expect(new ExampleError('TWO', 'x', { cause: root }).cause).toBe(root);
    const bare = new ExampleError('TWO', 'x');
    expect('cause' in bare).toBe(false);
    expect(bare.hint).toBeUndefined();
    expect(bare.extra).toBeUndefined();
  });

  it('copies its own details onto the error, and never the hint or the cause as details', () => {
    // @ts-expect-error: a HintedError always has a hint.
    expect(new HintedError('THREE', 'Three.').hint).toBeUndefined();
    const error = new HintedError('THREE', 'Three.', { hint: 'count again', cause: 3 });
    expect(error.hint).toBe('count again');
    expect(Object.keys(error).sort()).toEqual(['code', 'hint', 'name']);
    expect({ ...new ExampleError('ONE', 'x', { extra: 1 }) }).toStrictEqual({
      code: 'ONE',
      hint: undefined,
      extra: 1,
      name: 'ExampleError',
    });
  });
});

describe('hintOf', () => {
  it("reads the hint of any package's error by shape, and nothing else", () => {
    expect(hintOf(new ExampleError('ONE', 'x', { hint: 'mend it' }))).toBe('mend it');
    // Another package's copy of BandError: same shape, another class.
    expect(hintOf(Object.assign(new Error('x'), { code: 'OTHER', hint: 'do this' }))).toBe('do this');
    expect(hintOf(new ExampleError('ONE', 'x'))).toBeUndefined();
    expect(hintOf(Object.assign(new Error('x'), { hint: 42 }))).toBeUndefined();
    expect(hintOf('a string')).toBeUndefined();
    expect(hintOf(undefined)).toBeUndefined();
  });
});
