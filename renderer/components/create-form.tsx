import type { ReactNode } from 'react';
import { Button } from './button.js';
import { ErrorMessage } from './error-message.js';
import { PlusIcon } from './icons.js';
import { useFormRequest } from './use-form-request.js';

/** A view's one-line form that makes something (a volume, a network): its fields, Create, and what went wrong. */
export function CreateForm({ create, children }: { create: () => Promise<void>; children: ReactNode }) {
  const { busy, error, submit, dismiss } = useFormRequest(create);
  return (
    <div className="pull-area">
      <form className="pull-form" onSubmit={submit}>
        {children}
        <Button kind="primary" type="submit" busy={busy} icon={<PlusIcon />}>
          Create
        </Button>
      </form>
      {error && <ErrorMessage error={error} onDismiss={dismiss} />}
    </div>
  );
}
