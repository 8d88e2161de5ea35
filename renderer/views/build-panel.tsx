import { useEffect, useRef, useState } from 'react';
import { client } from '../api/client.js';
import { Button } from '../components/button.js';
import { ErrorMessage } from '../components/error-message.js';
import { FollowedOutput } from '../components/followed-output.js';
import { CloseIcon, FolderIcon, HammerIcon } from '../components/icons.js';
import { useFormRequest } from '../components/use-form-request.js';
import { shortDigest } from '../format/image-name.js';

/** The most output kept on screen; older lines scroll away for good. */
const MAX_CHARS = 512 * 1024;

/** The build's output, painted at most once a frame however fast its lines come. */
function useBuildOutput(): { text: string; clear(): void; add(chunk: string): void } {
  const [text, setText] = useState('');
  const pending = useRef('');
  const frame = useRef(0);
  useEffect(() => () => cancelAnimationFrame(frame.current), []);
  return {
    text,
    clear: () => {
      pending.current = '';
      setText('');
    },
    add: (chunk) => {
      pending.current += chunk;
      frame.current ||= requestAnimationFrame(() => {
        frame.current = 0;
        const next = pending.current;
        pending.current = '';
        setText((old) => (old + next).slice(-MAX_CHARS));
      });
    },
  };
}

/**
 * Builds an image from a folder on this machine (picked, or its path typed in; the engine reads it, less what
 * its .dockerignore leaves out) and shows the build's steps and output as they come.
 */
export function BuildPanel({ onClose }: { onClose: () => void }) {
  const [context, setContext] = useState('');
  const [dockerfile, setDockerfile] = useState('Dockerfile');
  const [tag, setTag] = useState('');
  const [built, setBuilt] = useState('');
  const output = useBuildOutput();
  // In the desktop app the system's folder picker fills the path; in a browser it is typed.
  const picker = window.berthApp;
  const { busy, error, submit, dismiss } = useFormRequest(async () => {
    output.clear();
    setBuilt('');
    const image = await client.call(
      'images.build',
      { context: context.trim(), dockerfile: dockerfile.trim() || 'Dockerfile', tags: tag.trim() ? [tag.trim()] : [] },
      { onItem: ({ text }) => output.add(text) },
    );
    setBuilt(tag.trim() || shortDigest(image.id));
  });

  return (
    <section className="logs-panel build-panel" aria-label="Build an image">
      <header className="panel-header">
        <h2>Build an image</h2>
        <span className={`panel-phase ${busy ? 'phase-following' : ''}`}>{busy ? 'Building…' : built ? `Built ${built}` : error ? 'Failed' : ''}</span>
        <button type="button" className="icon-button" aria-label="Close build" data-tip="Close" onClick={onClose}>
          <CloseIcon />
        </button>
      </header>
      <form className="build-form" onSubmit={submit}>
        <input aria-label="Context folder" placeholder="Folder with a Dockerfile, e.g. /home/me/app" value={context} onChange={(e) => setContext(e.target.value)} spellCheck={false} autoComplete="off" required />
        {picker && (
          <Button type="button" icon={<FolderIcon />} onClick={() => void picker.pickFolder().then((folder) => folder !== undefined && setContext(folder))}>
            Choose…
          </Button>
        )}
        <input className="build-file" aria-label="Dockerfile" value={dockerfile} onChange={(e) => setDockerfile(e.target.value)} spellCheck={false} autoComplete="off" />
        <input className="build-tag" aria-label="Tag" placeholder="Tag, e.g. app:1" value={tag} onChange={(e) => setTag(e.target.value)} spellCheck={false} autoComplete="off" />
        <Button kind="primary" type="submit" busy={busy} icon={<HammerIcon />}>
          Build
        </Button>
      </form>
      {error && (
        <div className="build-error">
          <ErrorMessage error={error} onDismiss={dismiss} />
        </div>
      )}
      <FollowedOutput painted={output.text}>{output.text || <span className="muted">The build’s steps and their output show here.</span>}</FollowedOutput>
    </section>
  );
}
