import { useId, useState, type ReactNode } from 'react';

/**
 * A focusable element that explains itself on hover and on keyboard focus. The explanation is always
 * in the DOM as the element's description, so screen readers get it without hovering.
 */
export function Tooltip({ text, children, className }: { text: string; children: ReactNode; className?: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <span
      className={`tip-anchor ${className ?? ''}`}
      tabIndex={0}
      aria-describedby={id}
      onMouseEnter={() => setOpen(true)}
      onMouseLeave={() => setOpen(false)}
      onFocus={() => setOpen(true)}
      onBlur={() => setOpen(false)}
      onKeyDown={(event) => event.key === 'Escape' && setOpen(false)}
    >
      {children}
      <span role="tooltip" id={id} className="tip" hidden={!open}>
        {text}
      </span>
    </span>
  );
}
