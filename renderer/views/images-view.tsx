import { useMemo, useState } from 'react';
import type { Image, PullProgress } from '../../shared/images.js';
import { client } from '../api/client.js';
import { Button } from '../components/button.js';
import { EmptyState } from '../components/empty-state.js';
import { ErrorMessage } from '../components/error-message.js';
import { ListTable, type Column } from '../components/list-table.js';
import { useFormRequest } from '../components/use-form-request.js';
import { IconButton } from '../components/icon-button.js';
import { DownloadIcon, HammerIcon, LayersIcon, PlayIcon, TrashIcon, UploadIcon } from '../components/icons.js';
import { mergeProgress, ProgressList } from '../components/progress-list.js';
import { formatBytes } from '../format/bytes.js';
import { formatAge } from '../format/duration.js';
import { familiarName } from '../format/image-name.js';
import { useContainers } from '../store/containers-store.js';
import { useImages } from '../store/images-store.js';
import { useNotices } from '../store/notices-store.js';
import { useUi } from '../store/ui-store.js';
import { BuildPanel } from './build-panel.js';
import { PushPanel } from './push-panel.js';
import { Notices } from './notices.js';

const COLUMNS: Column[] = [
  { key: 'name', label: 'Name' },
  { key: 'id', label: 'Image ID' },
  { key: 'size', label: 'Size', numeric: true },
  { key: 'created', label: 'Created' },
  { key: 'used', label: 'Used by' },
  { key: 'image-actions', label: 'Actions', hidden: true },
];

function PullForm() {
  const [reference, setReference] = useState('');
  const [progress, setProgress] = useState<PullProgress[]>([]);
  const { busy, error, submit, dismiss } = useFormRequest(async () => {
    const wanted = reference.trim();
    if (!wanted) return;
    setProgress([]);
    await client.call('images.pull', { reference: wanted }, { onItem: (p) => setProgress((old) => mergeProgress(old, p)) });
    setReference('');
    setProgress([]);
  });

  return (
    <div className="pull-area">
      <form className="pull-form" onSubmit={submit}>
        <input
          aria-label="Image reference"
          placeholder="busybox:1.36, or 127.0.0.1:5000/team/app:1.0"
          value={reference}
          onChange={(e) => setReference(e.target.value)}
          spellCheck={false}
          autoComplete="off"
        />
        <Button kind="primary" type="submit" busy={busy} icon={<DownloadIcon />}>
          Pull
        </Button>
      </form>
      <ProgressList progress={progress} label="Pull progress" />
      {error && <ErrorMessage error={error} onDismiss={dismiss} />}
    </div>
  );
}

function ImageRow({ image, usedBy, onPush }: { image: Image; usedBy: number; onPush: () => void }) {
  const name = image.names[0] ?? '<none>';
  const short = familiarName(name);
  return (
    <tr>
      <td className="cell-name">
        <span className="container-name mono">{short}</span>
        {image.names.length > 1 && <span className="container-id">+{image.names.length - 1} more names</span>}
      </td>
      <td className="mono muted">{image.id.replace(/^sha256:/, '').slice(0, 12)}</td>
      <td className="cell-num">{formatBytes(image.size)}</td>
      <td>{formatAge(image.created, Date.now())}</td>
      <td>{usedBy === 0 ? <span className="muted">Unused</span> : `${usedBy} container${usedBy === 1 ? '' : 's'}`}</td>
      <td className="cell-actions">
        <div className="row-actions" role="group" aria-label={`Actions for ${short}`}>
          <IconButton label="Run" icon={<PlayIcon />} onAction={async () => useUi.getState().openRun(short.replace(/:latest$/, ''))} />
          <IconButton label="Push" icon={<UploadIcon />} onAction={async () => onPush()} unavailable={image.names.length === 0 ? 'give it a name first (berth tag)' : undefined} />
          <IconButton
            label="Remove"
            tone="danger"
            icon={<TrashIcon />}
            onAction={() => client.call('images.remove', { reference: image.id })}
            onError={(error) => useNotices.getState().report(`Remove ${short}`, error)}
            unavailable={usedBy > 0 ? 'remove the containers that use it first' : undefined}
          />
        </div>
      </td>
    </tr>
  );
}

export function ImagesView() {
  const { loaded, images } = useImages();
  // One side pane at a time: the build form, or the push of one image.
  const [pane, setPane] = useState<{ kind: 'build' } | { kind: 'push'; imageId: string }>();
  const pushing = pane?.kind === 'push' ? images.find((image) => image.id === pane.imageId) : undefined;
  const byId = useContainers((s) => s.byId);
  const usage = useMemo(() => {
    const counts = new Map<string, number>();
    for (const c of Object.values(byId)) counts.set(c.imageId, (counts.get(c.imageId) ?? 0) + 1);
    return counts;
  }, [byId]);
  const totalSize = images.reduce((sum, image) => sum + image.size, 0);

  return (
    <section className="view" aria-labelledby="images-title">
      <header className="view-header">
        <div className="view-title">
          <h1 id="images-title">Images</h1>
          <span className="view-summary">
            {images.length} {images.length === 1 ? 'image' : 'images'} · {formatBytes(totalSize)}
          </span>
        </div>
        <div className="view-tools">
          <Button kind="primary" icon={<HammerIcon />} onClick={() => setPane({ kind: 'build' })}>
            Build
          </Button>
        </div>
      </header>
      <PullForm />
      <Notices />
      <div className={`view-body ${pane ? 'with-panel' : ''}`}>
        {loaded && images.length === 0 ? (
          <EmptyState icon={<LayersIcon />} title="No images yet">
            <p>Pull one above from any OCI registry, or run the bundled <code>hello</code> image: it needs no download.</p>
          </EmptyState>
        ) : (
          <ListTable className="images-table" columns={COLUMNS}>
            {images.map((image) => (
              <ImageRow key={image.id} image={image} usedBy={usage.get(image.id) ?? 0} onPush={() => setPane({ kind: 'push', imageId: image.id })} />
            ))}
          </ListTable>
        )}
        {pane?.kind === 'build' && <BuildPanel onClose={() => setPane(undefined)} />}
        {pushing && <PushPanel key={pushing.id} image={pushing} onClose={() => setPane(undefined)} />}
      </div>
    </section>
  );
}
