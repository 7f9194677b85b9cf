'use client';
import { useState } from 'react';
import { Button } from '@/components/ui/button';
import { CheckIcon, CopyIcon } from '@/components/ui/icons';

/** Copies `text`; falls back to selecting it where the Clipboard API is unavailable (plain http). */
export function CopyButton({ text, label = 'Copy', testId }: { text: string; label?: string; testId?: string }) {
  const [isCopied, setCopied] = useState(false);
  return (
    <Button
      size="sm"
      data-testid={testId}
      aria-label={label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(text);
          setCopied(true);
          setTimeout(() => setCopied(false), 1_500);
        } catch {
          setCopied(false);
        }
      }}
    >
      {isCopied ? <CheckIcon className="text-ok" /> : <CopyIcon />}
      <span>{isCopied ? 'Copied' : label}</span>
    </Button>
  );
}
