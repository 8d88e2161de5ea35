import { useState } from 'react';
import { BerthError } from '../../shared/berth-error.js';
import type { Image, PushProgress, PushResult } from '../../shared/images.js';
import { client } from '../api/client.js';
import { Button } from '../components/button.js';
import { ErrorMessage } from '../components/error-message.js';
import { CloseIcon, UploadIcon } from '../components/icons.js';
import { mergeProgress, ProgressList } from '../components/progress-list.js';
import { useFormRequest } from '../components/use-form-request.js';
import { familiarName } from '../format/image-name.js';

/** The registry a refusal names (the engine puts it in the error's detail), so the panel can offer to sign in to it. */
function refusingRegistry(error: unknown): string | undefined {
  const failure = BerthError.from(error);
  if (failure.code !== 'REGISTRY_UNAUTHORIZED') return undefined;
  const detail = failure.detail as { registry?: unknown } | undefined;
  return typeof detail?.registry === 'string' ? detail.registry : '';
}

/** A registry's account, asked for after it refused a push; kept where the docker CLI keeps its own. */
function SignInForm({ registry, onSignedIn }: { registry: string; onSignedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const { busy, error, submit, dismiss } = useFormRequest(async () => {
    await client.call('registries.login', { server: registry, username: username.trim(), password, save: true });
    setPassword('');
    onSignedIn();
  });
  return (
    <form className="build-form sign-in-form" onSubmit={submit} aria-label={`Sign in to ${registry || 'Docker Hub'}`}>
      <span className="sign-in-label">Sign in to <span className="mono">{registry || 'Docker Hub'}</span></span>
      <input aria-label="Username" placeholder="Username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" required />
      <input aria-label="Password" type="password" placeholder="Password or token" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
      <Button kind="primary" type="submit" busy={busy}>
        Sign in and push
      </Button>
      {error && <ErrorMessage error={error} onDismiss={dismiss} />}
    </form>
  );
}

/**
 * Sends an image to its registry under one of its names: each layer's progress as it goes (layers the
 * registry has are not sent), the digest it got, and a sign-in when the registry refuses.
 */
export function PushPanel({ image, onClose }: { image: Image; onClose: () => void }) {
  const names = image.names.map(familiarName);
  const [name, setName] = useState(names[0] ?? '');
  const [progress, setProgress] = useState<PushProgress[]>([]);
  const [pushed, setPushed] = useState<PushResult>();
  const [signIn, setSignIn] = useState<string>();
  const push = useFormRequest(async () => {
    setPushed(undefined);
    setProgress([]);
    try {
      setPushed(await client.call('images.push', { reference: name }, { onItem: (p) => setProgress((old) => mergeProgress(old, p)) }));
      setSignIn(undefined);
    } catch (error) {
      setSignIn(refusingRegistry(error));
      throw error;
    }
  });

  return (
    <section className="logs-panel build-panel" aria-label="Push an image">
      <header className="panel-header">
        <h2>Push an image</h2>
        <span className={`panel-phase ${push.busy ? 'phase-following' : ''}`}>{push.busy ? 'Pushing…' : pushed ? 'Pushed' : push.error ? 'Failed' : ''}</span>
        <button type="button" className="icon-button" aria-label="Close push" data-tip="Close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <form className="build-form" onSubmit={push.submit}>
        <select aria-label="Name to push" value={name} onChange={(e) => setName(e.target.value)}>
          {names.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <Button kind="primary" type="submit" busy={push.busy} icon={<UploadIcon />} disabled={name === ''}>
          Push
        </Button>
      </form>
      {signIn !== undefined && <SignInForm registry={signIn} onSignedIn={push.run} />}
      <div className="push-body">
        {push.error && <ErrorMessage error={push.error} onDismiss={push.dismiss} />}
        {pushed && (
          <p className="push-result" role="status">
            Pushed <span className="mono">{familiarName(pushed.reference)}</span> · digest <span className="mono">{pushed.digest}</span>
          </p>
        )}
        {progress.length > 0 ? <ProgressList progress={progress} label="Push progress" /> : !push.error && !pushed && <p className="muted">Each layer’s progress shows here; layers the registry already has are not sent again.</p>}
      </div>
    </section>
  );
}
