'use client';
import { describeError } from '@/lib/trpc';

/**
 * A server error as the user sees it: what went wrong, and the hint that says how to fix it. Takes a query's or a
 * mutation's error as it is (a TRPCClientError carries the hint in its data) or an already described one.
 */
export function ErrorNote({
  error: raw,
  testId,
}: {
  error: { message: string; hint?: string } | Error;
  testId?: string;
}) {
  const error = describeError(raw);
  return (
    <div
      role="alert"
      data-testid={testId ?? 'error-note'}
      className="rounded-md border border-danger/40 bg-danger-soft px-3 py-2 text-sm"
    >
      <p className="font-medium text-danger">
        <WithCode text={error.message} />
      </p>
      {error.hint ? (
        <p className="mt-0.5 text-fg-muted">
          <WithCode text={error.hint} />
        </p>
      ) : null}
    </div>
  );
}

/** Server messages quote commands in `backticks`: shown as code, not as raw backticks. */
function WithCode({ text }: { text: string }) {
  const parts = text.split(/`([^`\n]+)`/);
  return (
    <>
      {parts.map((part, i) =>
        i % 2 === 1 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one string, in a fixed order
          <code key={i} className="rounded bg-bg-sunken px-1 font-mono text-[0.9em]">
            {part}
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}
