import type { ReactNode } from 'react';
import type { DiskUsage } from '../../shared/disk-usage.js';
import { client } from '../api/client.js';
import { ErrorMessage } from '../components/error-message.js';
import { PruneButton } from '../components/prune-button.js';
import { useLoaded } from '../components/use-loaded.js';
import { formatBytes } from '../format/bytes.js';
import { useContainers } from '../store/containers-store.js';
import { useImages } from '../store/images-store.js';
import { useVolumes } from '../store/volumes-store.js';

interface Kind {
  key: string;
  label: string;
  items: number;
  active: number;
  size: number;
  reclaimable: number;
  /** How to get the reclaimable part back. */
  cleanUp: ReactNode;
}

const sum = <T,>(list: readonly T[], bytes: (item: T) => number): number => list.reduce((total, item) => total + bytes(item), 0);

function kinds(usage: DiskUsage): Kind[] {
  const stopped = usage.containers.filter((c) => c.status !== 'running');
  const unusedVolumes = usage.volumes.filter((v) => v.containers === 0);
  return [
    {
      key: 'images',
      label: 'Images',
      items: usage.images.length,
      active: usage.images.filter((i) => i.containers > 0).length,
      size: usage.imagesSize,
      reclaimable: usage.imagesReclaimable,
      cleanUp: <PruneButton label="Remove unused images" what={{ one: 'image no container uses', many: 'images no container uses' }} prune={(dryRun) => client.call('images.prune', { all: true, dryRun })} />,
    },
    {
      key: 'containers',
      label: 'Containers',
      items: usage.containers.length,
      active: usage.containers.length - stopped.length,
      size: sum(usage.containers, (c) => c.sizeRw),
      reclaimable: sum(stopped, (c) => c.sizeRw),
      cleanUp: <PruneButton label="Remove stopped containers" what={{ one: 'stopped container', many: 'stopped containers' }} prune={(dryRun) => client.call('containers.prune', { dryRun })} />,
    },
    {
      key: 'logs',
      label: 'Container logs',
      items: usage.containers.length,
      active: usage.containers.length - stopped.length,
      size: sum(usage.containers, (c) => c.logSize),
      reclaimable: sum(stopped, (c) => c.logSize),
      cleanUp: <span className="muted">Go with their containers</span>,
    },
    {
      key: 'volumes',
      label: 'Volumes',
      items: usage.volumes.length,
      active: usage.volumes.length - unusedVolumes.length,
      size: sum(usage.volumes, (v) => v.size),
      reclaimable: sum(unusedVolumes, (v) => v.size),
      cleanUp: <PruneButton label="Remove unused volumes" what={{ one: 'unused volume', many: 'unused volumes' }} prune={(dryRun) => client.call('volumes.prune', { all: true, dryRun })} />,
    },
    {
      key: 'build',
      label: 'Build cache',
      items: usage.buildCacheSize > 0 ? 1 : 0,
      active: 0,
      size: usage.buildCacheSize,
      reclaimable: usage.buildCacheSize,
      cleanUp: <PruneButton label="Empty the build cache" what={{ one: 'the build cache', many: 'the build cache' }} count={() => 0} prune={(dryRun) => client.call('builder.prune', { dryRun })} />,
    },
  ];
}

/** One bar split by kind, each part as wide as its share of the total. */
function UsageBar({ parts, total }: { parts: Kind[]; total: number }) {
  return (
    <figure className="usage-chart">
      <div className="usage-bar" role="img" aria-label={parts.map((p) => `${p.label} ${formatBytes(p.size)}`).join(', ')}>
        {total > 0 && parts.filter((p) => p.size > 0).map((p) => <span key={p.key} className={`usage-part usage-${p.key}`} style={{ flexGrow: p.size }} title={`${p.label}: ${formatBytes(p.size)}`} />)}
      </div>
      <figcaption className="usage-legend">
        {parts.map((p) => (
          <span key={p.key} className="usage-key">
            <span className={`usage-swatch usage-${p.key}`} aria-hidden="true" />
            {p.label} <strong>{formatBytes(p.size)}</strong>
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Where the disk went: images, containers' writable layers, their logs, volumes and the build cache, and getting it back. */
export function DiskView() {
  // Measured again whenever something comes, goes or stops.
  const key = useContainers((s) => s.order.map((id) => `${id}:${s.byId[id]?.state.status}`).join(','));
  const images = useImages((s) => s.images.map((i) => `${i.id}:${i.names.length}`).join(','));
  const volumes = useVolumes((s) => s.volumes.map((v) => v.name).join(','));
  const usage = useLoaded(`${key}\0${images}\0${volumes}`, () => client.call('system.df', {}), { keep: true });
  const parts = usage.phase === 'ready' ? kinds(usage.value) : [];
  const total = sum(parts, (p) => p.size);
  const reclaimable = sum(parts, (p) => p.reclaimable);
  return (
    <section className="view" aria-labelledby="disk-title">
      <header className="view-header">
        <div className="view-title">
          <h1 id="disk-title">Disk usage</h1>
          {usage.phase === 'ready' && (
            <span className="view-summary">
              {formatBytes(total)} in all · {formatBytes(reclaimable)} reclaimable
            </span>
          )}
        </div>
      </header>
      <div className="view-body disk-body">
        {usage.phase === 'loading' && <p className="page-empty">Measuring…</p>}
        {usage.phase === 'failed' && <ErrorMessage error={usage.error} />}
        {usage.phase === 'ready' && (
          <>
            <UsageBar parts={parts} total={total} />
            <table className="kv-table disk-table" aria-label="Disk usage by kind">
              <thead>
                <tr>
                  <th scope="col">Kind</th>
                  <th scope="col" className="cell-num">
                    Items
                  </th>
                  <th scope="col" className="cell-num">
                    In use
                  </th>
                  <th scope="col" className="cell-num">
                    Size
                  </th>
                  <th scope="col" className="cell-num">
                    Reclaimable
                  </th>
                  <th scope="col">Clean up</th>
                </tr>
              </thead>
              <tbody>
                {parts.map((p) => (
                  <tr key={p.key}>
                    <th scope="row">
                      <span className={`usage-swatch usage-${p.key}`} aria-hidden="true" /> {p.label}
                    </th>
                    <td className="cell-num">{p.items}</td>
                    <td className="cell-num">{p.active}</td>
                    <td className="cell-num">{formatBytes(p.size)}</td>
                    <td className="cell-num">{formatBytes(p.reclaimable)}</td>
                    <td>{p.cleanUp}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p className="muted disk-note">Nothing in use is removed: a running container, an image a container was made from, a volume a container mounts.</p>
          </>
        )}
      </div>
    </section>
  );
}
