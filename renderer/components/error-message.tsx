import type { ErrorText } from '../api/error-text.js';

/** An error where it happened: what went wrong, the engine's words, and what to try. */
export function ErrorMessage({ error, onDismiss }: { error: ErrorText; onDismiss?: () => void }) {
  return (
    <div className="error-message" role="alert">
      <div className="error-body">
        <strong>{error.title}</strong>
        <span className="error-detail">{error.detail}</span>
        <span className="error-fix">{error.fix}</span>
      </div>
      {onDismiss && (
        <button type="button" className="link-button" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
