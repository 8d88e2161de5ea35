import { useState } from 'react';
import type { Network } from '../../shared/networks.js';
import { client } from '../api/client.js';
import { CreateForm } from '../components/create-form.js';
import { IconButton } from '../components/icon-button.js';
import { TrashIcon } from '../components/icons.js';
import { ListTable, type Column } from '../components/list-table.js';
import { useNetworks } from '../store/networks-store.js';
import { useNotices } from '../store/notices-store.js';
import { Notices } from './notices.js';

const COLUMNS: Column[] = [
  { key: 'name', label: 'Name' },
  { key: 'driver', label: 'Driver' },
  { key: 'subnet', label: 'Subnet' },
  { key: 'containers', label: 'Containers' },
  { key: 'network-actions', label: 'Actions', hidden: true },
];

function CreateNetwork() {
  const [name, setName] = useState('');
  const [subnet, setSubnet] = useState('');
  const create = async () => {
    await client.call('networks.create', { name: name.trim(), ...(subnet.trim() ? { subnet: subnet.trim() } : {}) });
    setName('');
    setSubnet('');
  };
  return (
    <CreateForm create={create}>
      <input aria-label="Network name" placeholder="A name, e.g. backend" value={name} onChange={(e) => setName(e.target.value)} spellCheck={false} autoComplete="off" required />
      <input aria-label="Subnet" className="subnet-input" placeholder="Subnet (optional), e.g. 10.90.8.0/24" value={subnet} onChange={(e) => setSubnet(e.target.value)} spellCheck={false} autoComplete="off" />
    </CreateForm>
  );
}

/** Who is on the network: running containers with their address, stopped ones greyed. */
function Members({ network }: { network: Network }) {
  if (network.containers.length === 0) return <span className="muted">None</span>;
  return (
    <ul className="network-members">
      {network.containers.map((c) => (
        <li key={c.id} className={c.address ? '' : 'muted'} title={c.aliases.length > 0 ? `Also answers to ${c.aliases.join(', ')}` : undefined}>
          {c.name}
          {c.address && <span className="mono"> {c.address}</span>}
        </li>
      ))}
    </ul>
  );
}

function NetworkRow({ network }: { network: Network }) {
  const running = network.containers.filter((c) => c.address !== '').map((c) => c.name);
  return (
    <tr>
      <td className="cell-name">
        <span className="container-name mono">{network.name}</span>
        <span className="container-id mono">{network.builtin ? 'built in' : `${network.id.slice(0, 12)}${network.internal ? ' · internal' : ''}`}</span>
      </td>
      <td>{network.driver}</td>
      <td className="mono">{network.subnet || <span className="muted">—</span>}</td>
      <td>
        <Members network={network} />
      </td>
      <td className="cell-actions">
        <div className="row-actions" role="group" aria-label={`Actions for ${network.name}`}>
          {/* The built-in networks are always there, as in Docker. */}
          {!network.builtin && (
            <IconButton
              label="Remove"
              tone="danger"
              icon={<TrashIcon />}
              onAction={() => client.call('networks.remove', { network: network.id })}
              onError={(error) => useNotices.getState().report(`Remove ${network.name}`, error)}
              unavailable={running.length > 0 ? `stop ${running.join(', ')} first` : undefined}
            />
          )}
        </div>
      </td>
    </tr>
  );
}

/** Docker's networks: the built-in ones and the user's, where containers find each other by name. */
export function NetworksView() {
  const { networks } = useNetworks();
  const mine = networks.filter((n) => !n.builtin).length;
  return (
    <section className="view" aria-labelledby="networks-title">
      <header className="view-header">
        <div className="view-title">
          <h1 id="networks-title">Networks</h1>
          <span className="view-summary">
            {mine} user-defined · {networks.length - mine} built in
          </span>
        </div>
      </header>
      <CreateNetwork />
      <Notices />
      <div className="view-body">
        <ListTable className="networks-table" columns={COLUMNS}>
          {networks.map((network) => (
            <NetworkRow key={network.id} network={network} />
          ))}
        </ListTable>
        {networks.length > 0 && mine === 0 && (
          <p className="muted view-hint">
            Containers on a network you create find each other by name (<code>berth run --network backend --name db …</code>), as compose
            stacks do.
          </p>
        )}
      </div>
    </section>
  );
}
