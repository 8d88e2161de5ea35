import { useId, type ReactNode } from 'react';
import { Spinner } from './spinner.js';
import { useRequest } from './use-request.js';

interface IconButtonProps {
  /** The accessible name, also shown as the tooltip: "Stop". */
  label: string;
  icon: ReactNode;
  onAction: () => Promise<unknown>;
  onError?: (error: unknown) => void;
  /** Set when the action is not available; said in the tooltip and to screen readers. */
  unavailable?: string;
  tone?: 'default' | 'danger';
}

/** A compact row action: an icon with a tooltip, a spinner while its request runs, one request at a time. */
export function IconButton({ label, icon, onAction, onError, unavailable, tone = 'default' }: IconButtonProps) {
  const [busy, run] = useRequest(onAction, onError);
  const reasonId = useId();
  // aria-disabled rather than disabled: the button stays focusable, so its reason can be read.
  const blocked = busy || unavailable !== undefined;
  return (
    <button
      type="button"
      className={`icon-button tone-${tone}`}
      aria-label={label}
      aria-disabled={blocked}
      aria-busy={busy}
      aria-describedby={unavailable ? reasonId : undefined}
      data-tip={unavailable ? `${label}: ${unavailable}` : label}
      onClick={() => !blocked && run()}
    >
      {busy ? <Spinner /> : icon}
      {unavailable && (
        <span id={reasonId} className="sr-only">
          {unavailable}
        </span>
      )}
    </button>
  );
}
