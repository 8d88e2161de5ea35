import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { RunSpecInput } from '../../shared/containers.js';
import type { PullProgress } from '../../shared/images.js';
import { describeError, type ErrorText } from '../api/error-text.js';
import { Button } from '../components/button.js';
import { ErrorMessage } from '../components/error-message.js';
import { PlayIcon } from '../components/icons.js';
import { SwitchField } from '../components/switch-field.js';
import { mergeProgress, ProgressList } from '../components/progress-list.js';
import { volumeSpecs, VolumeRows, type VolumeRow } from '../components/volume-rows.js';
import { splitCommandLine, splitList } from '../format/command-line.js';
import { runContainer } from '../store/container-commands.js';
import { useEngine } from '../store/engine-store.js';
import { useImages } from '../store/images-store.js';
import { useTerminals } from '../store/terminals-store.js';
import { useUi } from '../store/ui-store.js';
import { familiarName } from '../format/image-name.js';

interface Fields {
  image: string;
  name: string;
  ports: string;
  env: string;
  command: string;
  autoExpose: boolean;
  autoRemove: boolean;
  terminal: boolean;
  volumes: VolumeRow[];
  sockets: string;
}

function toSpec(fields: Fields): RunSpecInput {
  const name = fields.name.trim();
  return {
    image: fields.image.trim(),
    ...(name ? { name } : {}),
    ports: splitList(fields.ports, /,/),
    env: splitList(fields.env, /\n/),
    cmd: splitCommandLine(fields.command),
    volumes: volumeSpecs(fields.volumes),
    sockets: splitList(fields.sockets, /,/),
    autoExpose: fields.autoExpose,
    autoRemove: fields.autoRemove,
    tty: fields.terminal,
    interactive: fields.terminal,
  };
}

/** The short names people type: docker.io/library/hello:latest → hello. */
function shortName(reference: string): string {
  return familiarName(reference).replace(/:latest$/, '');
}

/** Run a container: a modal form whose errors stay in the form, and whose image pull shows per layer. */
export function RunDialog({ image }: { image: string }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const running = useRef(false);
  // The toggle starts where the engine's setting stands (BERTH_AUTO_EXPOSE).
  const autoExpose = useEngine((s) => s.info?.ports.autoExpose ?? true);
  const [fields, setFields] = useState<Fields>({ image, name: '', ports: '', env: '', command: '', autoExpose, autoRemove: false, terminal: false, volumes: [], sockets: '' });
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<PullProgress[]>([]);
  const [error, setError] = useState<ErrorText>();
  const images = useImages((s) => s.images);
  const close = useUi((s) => s.closeRun);

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
  }, []);

  const field = <K extends keyof Fields>(key: K) => (value: Fields[K]) => setFields((old) => ({ ...old, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (running.current) return;
    running.current = true;
    setBusy(true);
    setError(undefined);
    setProgress([]);
    runContainer(toSpec(fields), (p) => setProgress((old) => mergeProgress(old, p)))
      .then((container) => {
        close();
        // A container run for its terminal shows it at once, as docker run -it does.
        if (container.spec.tty) void useTerminals.getState().attachMain(container.id).catch(() => {});
      })
      .catch((failure: unknown) => {
        setError(describeError(failure));
        setBusy(false);
      })
      .finally(() => {
        running.current = false;
      });
  };

  return (
    <dialog ref={dialog} className="dialog" aria-labelledby="run-title" onClose={close}>
      <form className="dialog-form" onSubmit={submit}>
        <header className="dialog-header">
          <h2 id="run-title">Run a container</h2>
          <p className="muted">Pulls the image if it is not here yet, then starts it in the background.</p>
        </header>
        <div className="field">
          <label htmlFor="run-image">Image</label>
          <input id="run-image" required autoFocus list="run-image-choices" value={fields.image} onChange={(e) => field('image')(e.target.value)} spellCheck={false} autoComplete="off" />
          <datalist id="run-image-choices">
            {images.flatMap((img) => img.names).map((n) => (
              <option key={n} value={shortName(n)} />
            ))}
          </datalist>
        </div>
        <div className="field">
          <label htmlFor="run-name">Name</label>
          <input id="run-name" placeholder="Chosen for you when empty" value={fields.name} onChange={(e) => field('name')(e.target.value)} spellCheck={false} autoComplete="off" />
        </div>
        <div className="field">
          <label htmlFor="run-ports">Ports</label>
          <input id="run-ports" aria-describedby="run-ports-help" placeholder="8080:80, 127.0.0.1:5432:5432" value={fields.ports} onChange={(e) => field('ports')(e.target.value)} spellCheck={false} autoComplete="off" />
          <span id="run-ports-help" className="field-help">
            Docker <code>-p</code> specs, separated by commas. These are never moved: a busy port fails the run.
          </span>
        </div>
        <VolumeRows rows={fields.volumes} onChange={field('volumes')} />
        <div className="field">
          <label htmlFor="run-sockets">Sockets</label>
          <input id="run-sockets" aria-describedby="run-sockets-help" placeholder="/run/user/1000/ssh-agent.sock:/run/ssh-agent.sock" value={fields.sockets} onChange={(e) => field('sockets')(e.target.value)} spellCheck={false} autoComplete="off" />
          <span id="run-sockets-help" className="field-help">
            <code>HOST_SOCKET:CONTAINER_PATH</code>, separated by commas: the container reaches the host’s socket at that path.
          </span>
        </div>
        <div className="field">
          <label htmlFor="run-env">Environment</label>
          <textarea id="run-env" rows={2} placeholder={'KEY=value, one per line'} value={fields.env} onChange={(e) => field('env')(e.target.value)} spellCheck={false} />
        </div>
        <div className="field">
          <label htmlFor="run-command">Command</label>
          <input id="run-command" placeholder="The image’s default" value={fields.command} onChange={(e) => field('command')(e.target.value)} spellCheck={false} autoComplete="off" />
        </div>
        <SwitchField
          label="Publish exposed ports"
          help="Ports the image exposes get a host port on loopback; a busy one moves to a free port."
          checked={fields.autoExpose}
          onChange={field('autoExpose')}
        />
        <SwitchField
          label="Interactive terminal"
          help="Like docker run -it: the command runs on a terminal you attach to from its row."
          checked={fields.terminal}
          onChange={field('terminal')}
        />
        <SwitchField
          label="Remove when it exits"
          help="Like docker run --rm: the container and its files go once its process ends."
          checked={fields.autoRemove}
          onChange={field('autoRemove')}
        />
        <ProgressList progress={progress} label="Image download" />
        {error && <ErrorMessage error={error} />}
        <footer className="dialog-footer">
          <Button kind="ghost" onClick={() => dialog.current?.close()}>
            Cancel
          </Button>
          <Button kind="primary" type="submit" busy={busy} icon={<PlayIcon />}>
            Run
          </Button>
        </footer>
      </form>
    </dialog>
  );
}
