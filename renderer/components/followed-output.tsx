import { useLayoutEffect, useRef, type ReactNode } from 'react';

/**
 * Output that grows (logs, a build's steps): it stays at the bottom while new output arrives, unless
 * the reader scrolled up to look at something. `painted` changes whenever the output does.
 */
export function FollowedOutput({ children, painted }: { children: ReactNode; painted: unknown }) {
  const pre = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);

  useLayoutEffect(() => {
    const element = pre.current;
    if (element && pinned.current) element.scrollTop = element.scrollHeight;
  }, [painted]);

  return (
    <pre
      ref={pre}
      className="logs-output mono"
      tabIndex={0}
      onScroll={(event) => {
        const element = event.currentTarget;
        pinned.current = element.scrollTop + element.clientHeight >= element.scrollHeight - 24;
      }}
    >
      {children}
    </pre>
  );
}
