'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { ErrorNote } from '@/components/ui/error-note';
import { Badge } from '@/components/ui/badge';
import { Spinner } from '@/components/ui/spinner';
import { cn } from '@/lib/cn';
import { useTRPC } from '@/lib/trpc';
import type { TranscriptItem } from '@/lib/transcript';
import { ApprovalInput } from './approval-input';

type ApprovalItem = Extract<TranscriptItem, { kind: 'approval' }>;
type Answer = 'allow' | 'always' | 'deny';

// 44 px on every layout (not only on phones): the card is what a person taps from a lock screen.
const BUTTON =
  'inline-flex min-h-touch min-w-touch cursor-pointer select-none items-center justify-center gap-2 rounded-md ' +
  'px-4 text-sm font-medium transition-colors disabled:cursor-not-allowed disabled:opacity-50';

/**
 * The agent waits for permission (issue 20): what it wants to run, shown in full (the command, the file and the
 * change, the URL), and the three answers. Once answered it shows who answered; the first answer wins, so a
 * second device gets the server's "already answered".
 */
export function ApprovalCard({ item, root }: { item: ApprovalItem; root: string }) {
  const [isDenying, setIsDenying] = useState(false);
  const [message, setMessage] = useState('');
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const answerMutation = useMutation(
    trpc.approvals.answer.mutationOptions({
      // Mobile Access lists each device's last answer.
      onSettled: () => queryClient.invalidateQueries(trpc.approvals.byDevice.queryFilter()),
    }),
  );
  const answer = {
    isPending: answerMutation.isPending,
    error: answerMutation.error,
    mutate: (input: { answer: Answer; message?: string; answers?: Record<string, string> }) =>
      answerMutation.mutate({
        requestId: item.requestId,
        answer: input.answer,
        ...(input.message ? { message: input.message } : {}),
        ...(input.answers ? { answers: input.answers } : {}),
      }),
  };
  const isPending = item.state === 'pending';
  const questions = questionsOf(item.input);
  const isQuestion = questions.length > 0;
  const isPlan = item.toolName === 'ExitPlanMode';
  const title = isQuestion
    ? 'The agent asks you'
    : isPlan
      ? 'The agent proposes a plan'
      : `The agent asks to use ${item.toolName}`;
  return (
    <section
      className={cn(
        'flex flex-col gap-3 rounded-md border p-3 text-sm',
        isPending ? 'border-warn/60 bg-warn-soft' : 'border-border bg-bg-elevated',
      )}
      data-testid="approval-card"
      data-state={item.state}
      data-request-id={item.requestId}
      aria-label={`Permission request: ${item.toolName}`}
    >
      <header className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-fg">
          {isPending ? title : isQuestion ? 'Question' : isPlan ? 'Plan' : item.toolName}
        </span>
        {isPending ? <Badge tone="warn">needs your answer</Badge> : <ApprovalOutcome item={item} />}
      </header>
      {isQuestion ? (
        <QuestionForm
          questions={questions}
          answered={item.answers}
          isPending={isPending}
          isBusy={answer.isPending}
          onAnswer={(answers) => void answer.mutate({ answer: 'allow', answers })}
        />
      ) : (
        <ApprovalInput input={item.input} root={root} />
      )}
      {isPending ? (
        <div className="flex flex-col gap-2">
          <div className={cn('flex flex-wrap gap-2', isQuestion && 'hidden')}>
            <button
              type="button"
              className={cn(BUTTON, 'bg-accent text-accent-fg hover:opacity-90')}
              disabled={answer.isPending}
              onClick={() => void answer.mutate({ answer: 'allow' })}
              data-testid="approval-allow"
            >
              {answer.isPending ? <Spinner /> : null} {isPlan ? 'Approve plan' : 'Allow once'}
            </button>
            {isPlan ? null : (
              <button
                type="button"
                className={cn(BUTTON, 'border border-border bg-bg-elevated text-fg hover:bg-bg-hover')}
                disabled={answer.isPending}
                onClick={() => void answer.mutate({ answer: 'always' })}
                data-testid="approval-always"
              >
                Always allow {item.toolName}
              </button>
            )}
          </div>
          <div className="flex flex-wrap gap-2">
            <button
              type="button"
              className={cn(BUTTON, 'border border-danger/40 bg-danger-soft text-danger hover:bg-danger hover:text-bg')}
              disabled={answer.isPending}
              onClick={() => setIsDenying((v) => !v)}
              data-testid="approval-deny"
              aria-expanded={isDenying}
            >
              {isQuestion ? 'Decline to answer…' : isPlan ? 'Keep planning…' : 'Deny…'}
            </button>
          </div>
          {isDenying ? (
            <form
              className="flex flex-col gap-2 sm:flex-row"
              onSubmit={(e) => {
                e.preventDefault();
                void answer.mutate({ answer: 'deny', message: message.trim() || undefined });
              }}
            >
              <input
                className="min-h-touch flex-1 rounded-md border border-border bg-bg px-3 text-[16px] text-fg md:text-sm"
                placeholder={
                  isPlan
                    ? 'What should change in the plan (optional)'
                    : 'Tell the agent why, or what to do instead (optional)'
                }
                value={message}
                maxLength={4_000}
                onChange={(e) => setMessage(e.target.value)}
                data-testid="approval-deny-message"
                aria-label="Message for the agent"
              />
              <button
                type="submit"
                className={cn(BUTTON, 'bg-danger text-bg hover:opacity-90')}
                disabled={answer.isPending}
                data-testid="approval-deny-send"
              >
                Deny
              </button>
            </form>
          ) : null}
          {answer.error ? <ErrorNote error={answer.error} testId="approval-error" /> : null}
        </div>
      ) : null}
    </section>
  );
}

function ApprovalOutcome({ item }: { item: ApprovalItem }) {
  const by = item.by;
  const who =
    by?.via === 'dashboard'
      ? (by.device ?? 'a browser')
      : by?.via === 'token'
        ? 'the CLI'
        : by?.via === 'rule'
          ? 'the "always" rule'
          : by?.via === 'abort'
            ? 'Stop'
            : by?.via === 'turn-end'
              ? 'the end of the turn'
              : undefined;
  const time = item.resolvedAt ? new Date(item.resolvedAt).toLocaleTimeString() : undefined;
  return (
    <span className="flex flex-wrap items-center gap-2 text-xs text-fg-muted" data-testid="approval-outcome">
      <Badge tone={item.state === 'allowed' ? 'ok' : 'danger'}>
        {item.state === 'allowed'
          ? item.answers
            ? 'answered'
            : item.scope === 'always'
              ? 'always allowed'
              : 'allowed'
          : 'denied'}
      </Badge>
      {who ? <span data-testid="approval-by">by {who}</span> : null}
      {time ? <span>{time}</span> : null}
      {item.state === 'denied' && item.message ? <span className="text-fg">“{item.message}”</span> : null}
    </span>
  );
}

interface Question {
  question: string;
  header?: string;
  options: Array<{ label: string; description?: string }>;
  multiSelect: boolean;
}

/** The questions of an `AskUserQuestion` input (`{ questions: [{ question, header, options, multiSelect }] }`). */
function questionsOf(input: unknown): Question[] {
  const list = input && typeof input === 'object' ? (input as { questions?: unknown }).questions : undefined;
  if (!Array.isArray(list)) return [];
  return list.flatMap((q) => {
    if (!q || typeof q !== 'object' || typeof q.question !== 'string') return [];
    const options = Array.isArray(q.options)
      ? q.options.flatMap((o: unknown) => {
          const option = o as { label?: unknown; description?: unknown } | null;
          return option && typeof option.label === 'string'
            ? [
                {
                  label: option.label,
                  description: typeof option.description === 'string' ? option.description : undefined,
                },
              ]
            : [];
        })
      : [];
    return [
      {
        question: q.question,
        header: typeof q.header === 'string' ? q.header : undefined,
        options,
        multiSelect: q.multiSelect === true,
      },
    ];
  });
}

/**
 * The agent's questions with their options as 44 px choices (several for a multi-select question), plus the
 * user's own words; sent once every question has an answer. Once answered it shows the answers.
 */
function QuestionForm({
  questions,
  answered,
  isPending,
  isBusy,
  onAnswer,
}: {
  questions: Question[];
  answered?: Record<string, string>;
  isPending: boolean;
  isBusy: boolean;
  onAnswer: (answers: Record<string, string>) => void;
}) {
  const [chosen, setChosen] = useState<Record<string, string[]>>({});
  const [own, setOwn] = useState<Record<string, string>>({});
  const answerOf = (q: Question) => own[q.question]?.trim() || (chosen[q.question] ?? []).join(', ');
  const isComplete = questions.every((q) => answerOf(q) !== '');
  const toggle = (q: Question, label: string) =>
    setChosen((prev) => {
      const current = prev[q.question] ?? [];
      const next = q.multiSelect
        ? current.includes(label)
          ? current.filter((l) => l !== label)
          : [...current, label]
        : [label];
      return { ...prev, [q.question]: next };
    });
  return (
    <form
      className="flex flex-col gap-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (isComplete) onAnswer(Object.fromEntries(questions.map((q) => [q.question, answerOf(q)])));
      }}
    >
      {questions.map((q) => (
        <fieldset key={q.question} className="flex flex-col gap-2" data-testid="approval-question">
          <legend className="mb-1 text-fg">
            {q.header ? <span className="mr-2 text-xs uppercase tracking-wide text-fg-muted">{q.header}</span> : null}
            {q.question}
          </legend>
          {isPending ? (
            <>
              <div className="flex flex-wrap gap-2">
                {q.options.map((option) => {
                  const isChosen = (chosen[q.question] ?? []).includes(option.label);
                  return (
                    <button
                      key={option.label}
                      type="button"
                      aria-pressed={isChosen}
                      title={option.description}
                      className={cn(
                        BUTTON,
                        'flex-col items-start py-2 text-left',
                        isChosen
                          ? 'bg-accent text-accent-fg'
                          : 'border border-border bg-bg-elevated text-fg hover:bg-bg-hover',
                      )}
                      onClick={() => toggle(q, option.label)}
                      data-testid="approval-option"
                    >
                      <span>{option.label}</span>
                      {option.description ? (
                        <span className={cn('text-xs font-normal', isChosen ? 'text-accent-fg' : 'text-fg-muted')}>
                          {option.description}
                        </span>
                      ) : null}
                    </button>
                  );
                })}
              </div>
              <input
                className="min-h-touch rounded-md border border-border bg-bg px-3 text-[16px] text-fg md:text-sm"
                placeholder="Or answer in your own words"
                value={own[q.question] ?? ''}
                maxLength={4_000}
                onChange={(e) => setOwn((prev) => ({ ...prev, [q.question]: e.target.value }))}
                aria-label={`Your answer: ${q.question}`}
                data-testid="approval-own-answer"
              />
            </>
          ) : answered?.[q.question] ? (
            <p className="font-medium text-fg" data-testid="approval-answer">
              {answered[q.question]}
            </p>
          ) : null}
        </fieldset>
      ))}
      {isPending ? (
        <button
          type="submit"
          className={cn(BUTTON, 'self-start bg-accent text-accent-fg hover:opacity-90')}
          disabled={!isComplete || isBusy}
          data-testid="approval-send-answer"
        >
          {isBusy ? <Spinner /> : null} Send answer
        </button>
      ) : null}
    </form>
  );
}
