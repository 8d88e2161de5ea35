import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * Runs one request at a time for a control: `busy` drives its progress look, and clicks while it
 * runs are ignored (the guard is a ref, so even two clicks in one frame act once).
 */
export function useRequest(action: () => Promise<unknown>, onError?: (error: unknown) => void): [busy: boolean, run: () => void] {
  const running = useRef(false);
  const mounted = useRef(true);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(() => {
    if (running.current) return;
    running.current = true;
    setBusy(true);
    action()
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        running.current = false;
        if (mounted.current) setBusy(false);
      });
  }, [action, onError]);
  return [busy, run];
}
