import { useState } from 'react';
import type { Volume } from '../../shared/mounts.js';
import { client } from '../api/client.js';
import { CreateForm } from '../components/create-form.js';
import { EmptyState } from '../components/empty-state.js';
import { ListTable, type Column } from '../components/list-table.js';
import { IconButton } from '../components/icon-button.js';
import { DiskIcon, TrashIcon } from '../components/icons.js';
import { formatAge } from '../format/duration.js';
import { useNotices } from '../store/notices-store.js';
import { useVolumes } from '../store/volumes-store.js';
import { Notices } from './notices.js';

const COLUMNS: Column[] = [
  { key: 'name', label: 'Name' },
  { key: 'created', label: 'Created' },
  { key: 'used', label: 'Used by' },
  { key: 'volume-actions', label: 'Actions', hidden: true },
];

function CreateVolume() {
  const [name, setName] = useState('');
  const create = async () => {
    const wanted = name.trim();
    await client.call('volumes.create', wanted ? { name: wanted } : {});
    setName('');
  };
  return (
    <CreateForm create={create}>
      <input aria-label="Volume name" placeholder="A name, or empty for a generated one" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} autoComplete="off" />
    </CreateForm>
  );
}

function VolumeRow({ volume }: { volume: Volume }) {
  return (
    <tr>
      <td className="cell-name">
        <span className="container-name mono">{volume.name}</span>
        <span className="container-id mono">{volume.mountpoint}</span>
      </td>
      <td>{formatAge(volume.created, Date.now())}</td>
      <td>{volume.usedBy.length === 0 ? <span className="muted">Unused</span> : volume.usedBy.join(', ')}</td>
      <td className="cell-actions">
        <div className="row-actions" role="group" aria-label={`Actions for ${volume.name}`}>
          <IconButton
            label="Remove"
            tone="danger"
            icon={<TrashIcon />}
            onAction={() => client.call('volumes.remove', { name: volume.name })}
            onError={(error) => useNotices.getState().report(`Remove ${volume.name}`, error)}
            unavailable={volume.usedBy.length > 0 ? 'remove the containers that use it first' : undefined}
          />
        </div>
      </td>
    </tr>
  );
}

/** Named volumes: folders the engine keeps, mounted with `-v NAME:/path` and outliving their containers. */
export function VolumesView() {
  const { loaded, volumes } = useVolumes();
  return (
    <section className="view" aria-labelledby="volumes-title">
      <header className="view-header">
        <div className="view-title">
          <h1 id="volumes-title">Volumes</h1>
          <span className="view-summary">
            {volumes.length} {volumes.length === 1 ? 'volume' : 'volumes'}
          </span>
        </div>
      </header>
      <CreateVolume />
      <Notices />
      <div className="view-body">
        {loaded && volumes.length === 0 ? (
          <EmptyState icon={<DiskIcon />} title="No volumes yet">
            <p>
              Create one above, or give a name instead of a folder in a run’s volumes (<code>-v data:/data</code>): it is made then, and
              keeps its files when the container goes.
            </p>
          </EmptyState>
        ) : (
          <ListTable className="volumes-table" columns={COLUMNS}>
            {volumes.map((volume) => (
              <VolumeRow key={volume.name} volume={volume} />
            ))}
          </ListTable>
        )}
      </div>
    </section>
  );
}
