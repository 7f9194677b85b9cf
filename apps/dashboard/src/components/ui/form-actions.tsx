import { Button } from './button';
import { Spinner } from './spinner';

/** A form's footer: Cancel, then the submit button, which shows a spinner and is disabled while pending. */
export function FormActions({
  onCancel,
  pending,
  disabled = false,
  label,
  testId,
}: {
  onCancel: () => void;
  pending: boolean;
  disabled?: boolean;
  label: string;
  testId: string;
}) {
  return (
    <div className="flex justify-end gap-2">
      <Button size="sm" variant="ghost" onClick={onCancel}>
        Cancel
      </Button>
      <Button size="sm" variant="primary" type="submit" disabled={pending || disabled} data-testid={testId}>
        {pending ? <Spinner /> : null} {label}
      </Button>
    </div>
  );
}
