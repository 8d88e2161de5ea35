import { useEffect, useRef, useState } from 'react';
import { describeError, type ErrorText } from '../api/error-text.js';

export type Loaded<T> = { phase: 'loading' } | { phase: 'ready'; value: T } | { phase: 'failed'; error: ErrorText };

/**
 * Loads again whenever `key` changes; an answer to an older key is dropped. With `keep`, what was
 * loaded stays on screen while it loads again (a refresh, not a new subject).
 */
export function useLoaded<T>(key: string, load: () => Promise<T>, { keep = false } = {}): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({ phase: 'loading' });
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let current = true;
    if (!keep) setState({ phase: 'loading' });
    latest.current().then(
      (value) => current && setState({ phase: 'ready', value }),
      (error: unknown) => current && setState({ phase: 'failed', error: describeError(error) }),
    );
    return () => {
      current = false;
    };
  }, [key, keep]);
  return state;
}
