import { useMemo, useState } from 'react';
import type { Image, PullProgress } from '../../shared/images.js';
import { client } from '../api/client.js';
import { Button } from '../components/button.js';
import { EmptyState } from '../components/empty-state.js';
import { ErrorMessage } from '../components/error-message.js';
import { ListTable, type Column } from '../components/list-table.js';
import { useFormRequest } from '../components/use-form-request.js';
import { DownloadIcon, HammerIcon, LayersIcon } from '../components/icons.js';
import { PruneButton } from '../components/prune-button.js';
import { mergeProgress, ProgressList } from '../components/progress-list.js';
import { formatBytes } from '../format/bytes.js';
import { formatAge } from '../format/duration.js';
import { shortDigest } from '../format/image-name.js';
import { counted } from '../format/plural.js';
import { useContainers } from '../store/containers-store.js';
import { useImages } from '../store/images-store.js';
import { routeHash } from '../../shared/app-route.js';
import { BuildPanel } from './build-panel.js';
import { ImageActions, imageTitle } from './image-actions.js';
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
  return (
    <tr>
      <td className="cell-name">
        <a className="container-name mono" href={routeHash({ page: 'image', id: image.id.replace(/^sha256:/, '') })}>
          {imageTitle(image)}
        </a>
        {image.names.length > 1 && <span className="container-id">+{image.names.length - 1} more names</span>}
      </td>
      <td className="mono muted">{shortDigest(image.id)}</td>
      <td className="cell-num">{formatBytes(image.size)}</td>
      <td>{formatAge(image.created, Date.now())}</td>
      <td>{usedBy === 0 ? <span className="muted">Unused</span> : `${usedBy} container${usedBy === 1 ? '' : 's'}`}</td>
      <td className="cell-actions">
        <ImageActions image={image} usedBy={usedBy} onPush={onPush} />
      </td>
    </tr>
  );
}

/** Images a name moved away from (a rebuild, a newer pull): listed as <none>, and offered for removal. */
function Dangling({ count }: { count: number }) {
  // Once shown it stays, so what was freed is still said after the last one goes.
  const [shown, setShown] = useState(count > 0);
  if (count > 0 && !shown) setShown(true);
  if (!shown) return null;
  return (
    <div className="dangling-bar">
      {count > 0 && (
        <span>
          {counted(count, 'dangling image')} <span className="muted">(no name: a newer build or pull took it)</span>
        </span>
      )}
      <PruneButton label="Remove dangling images" what={{ one: 'dangling image', many: 'dangling images' }} prune={(dryRun) => client.call('images.prune', { all: false, dryRun })} />
    </div>
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
      <Dangling count={images.filter((image) => image.names.length === 0).length} />
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
