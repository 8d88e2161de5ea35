import type { ReactNode } from 'react';
import { Spinner } from './spinner.js';

interface ButtonProps {
  children: ReactNode;
  kind?: 'primary' | 'secondary' | 'ghost';
  type?: 'button' | 'submit';
  busy?: boolean;
  disabled?: boolean;
  icon?: ReactNode;
  onClick?: () => void;
  form?: string;
}

/** A text button; while `busy` it shows a spinner in place of its icon and ignores clicks. */
export function Button({ children, kind = 'secondary', type = 'button', busy = false, disabled = false, icon, onClick, form }: ButtonProps) {
  return (
    <button
      type={type}
      form={form}
      className={`button button-${kind}`}
      aria-busy={busy}
      aria-disabled={busy || disabled}
      disabled={disabled}
      onClick={(event) => {
        if (busy) event.preventDefault();
        else onClick?.();
      }}
    >
      {busy ? <Spinner /> : icon}
      <span>{children}</span>
    </button>
  );
}
