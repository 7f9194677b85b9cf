/** What every Band error may carry besides its code and message. */
export interface BandErrorOptions {
  /** What the user can do about it. Shown apart from the message (`hint: …`), never inside it. */
  hint?: string;
  cause?: unknown;
}

/** The options argument: optional unless `Details` has a required field (a hint every error of the class has). */
type OptionsArgument<Details> =
  Partial<Details> extends Details ? [options?: BandErrorOptions & Details] : [options: BandErrorOptions & Details];

/**
 * The one shape of Band's errors: `new XError(code, message, { hint, cause, …details })`. Each package subclasses it
 * with the closed union of its codes, its own `name`, and the fields of its own (`Details`), which the constructor
 * copies onto the error; the subclass declares them (`declare readonly port: number`). A required field of `Details`
 * makes the options argument required: a subclass whose errors always have a hint says `Details = { hint: string }`
 * and `declare readonly hint: string`.
 */
export class BandError<Code extends string, Details extends object = object> extends Error {
  readonly code: Code;
  readonly hint: string | undefined;
  constructor(code: Code, message: string, ...[options]: OptionsArgument<Details>) {
    const { hint, cause, ...details }: BandErrorOptions = options ?? {};
    // No `cause` key at all when there is none, so that Node does not print `[cause]: undefined`.
    super(message, cause === undefined ? undefined : { cause });
    this.code = code;
    this.hint = hint;
    Object.assign(this, details);
  }
}

/**
 * The hint of any Band package's error, else undefined. By shape, not `instanceof`: each published package bundles
 * its own copy of `BandError`, so an error from another package is not an instance of this one.
 */
export function hintOf(error: unknown): string | undefined {
  const hint = typeof error === 'object' && error !== null ? (error as { hint?: unknown }).hint : undefined;
  return typeof hint === 'string' ? hint : undefined;
}
