import { useState, type FormEvent } from 'react';
import { describeError, type ErrorText } from '../api/error-text.js';
import { useRequest } from './use-request.js';

/** A form's request: one at a time, and its error kept for the form to show until the next try. */
export function useFormRequest(action: () => Promise<unknown>) {
  const [error, setError] = useState<ErrorText>();
  const [busy, run] = useRequest(
    async () => {
      setError(undefined);
      await action();
    },
    (failure) => setError(describeError(failure)),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    run();
  };
  return { busy, error, submit, run, dismiss: () => setError(undefined) };
}
