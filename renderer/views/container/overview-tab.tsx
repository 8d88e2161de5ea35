import type { ReactNode } from 'react';
import type { Container } from '../../../shared/containers.js';
import { Argv, EnvTable, Fields, KeyValues, None, Section, When } from '../../components/details.js';
import { PortList } from '../../components/port-list.js';
import { shortDigest } from '../../format/image-name.js';
import { effectiveEnv } from '../../format/secret-key.js';
import { useImages } from '../../store/images-store.js';

function Networks({ container }: { container: Container }) {
  if (container.network.mode !== 'bridge') return <span className="mono">{container.network.mode}</span>;
  return (
    <table className="kv-table" aria-label="Networks">
      <thead>
        <tr>
          <th scope="col">Network</th>
          <th scope="col">Address</th>
          <th scope="col">Gateway</th>
          <th scope="col">Aliases</th>
        </tr>
      </thead>
      <tbody>
        {container.networks.map((endpoint) => (
          <tr key={endpoint.networkId}>
            <th scope="row">{endpoint.network}</th>
            <td className="mono">{endpoint.address ? `${endpoint.address}/${endpoint.prefixLength}` : <None text="not running" />}</td>
            <td className="mono">{endpoint.gateway || '—'}</td>
            <td className="mono">{[container.name, container.id.slice(0, 12), ...endpoint.aliases].join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Mounts({ container }: { container: Container }) {
  const rows: [string, ReactNode][] = [
    ...container.mounts.map((m): [string, ReactNode] => [
      m.destination,
      <>
        <span className="badge">{m.type === 'bind' ? 'folder' : 'volume'}</span> <span className="mono">{m.source}</span>
        {m.readOnly && <span className="badge">read-only</span>}
      </>,
    ]),
    ...container.sockets.map((s): [string, ReactNode] => [
      s.containerPath,
      <>
        <span className="badge">socket</span> <span className="mono">{s.direction === 'to-host' ? `→ host ${s.hostPath}` : `← host ${s.hostPath}`}</span>
      </>,
    ]),
  ];
  return <KeyValues label="Mounts" entries={rows} />;
}

function restartText(container: Container): string {
  const { name, maxRetries } = container.spec.restart;
  const policy = name === 'on-failure' && maxRetries > 0 ? `on-failure (at most ${maxRetries})` : name;
  return `${policy}, restarted ${container.state.restartCount} time${container.state.restartCount === 1 ? '' : 's'}`;
}

/** Everything the record says about the container, in the order a user looks for it. */
export function OverviewTab({ container }: { container: Container }) {
  const image = useImages((s) => s.images.find((i) => i.id === container.imageId));
  const { state, spec } = container;
  const entrypoint = spec.entrypoint !== undefined ? (spec.entrypoint ? [spec.entrypoint] : []) : (image?.config.entrypoint ?? []);
  const env = effectiveEnv(image?.config.env ?? [], spec.env);
  const ended = state.status === 'exited' || state.status === 'dead';
  return (
    <div className="overview">
      <Section title="Container">
        <Fields
          rows={[
            ['Image', <span className="mono">{container.image} <span className="muted">{shortDigest(container.imageId)}</span></span>],
            ['Command', <Argv argv={container.command} />],
            ['Entrypoint', <Argv argv={entrypoint} />],
            ['Created', <When iso={container.created} />],
            ['Started', <When iso={state.startedAt} />],
            ...(ended ? ([['Finished', <When iso={state.finishedAt} />], ['Exit code', <span className="mono">{state.exitCode}{state.oomKilled ? ' (out of memory)' : ''}</span>]] as [string, ReactNode][]) : []),
            ['Restart policy', restartText(container)],
          ]}
        />
        {ended && state.lastOutput && (
          <figure className="last-output">
            <figcaption>Last output</figcaption>
            <pre className="mono">{state.lastOutput}</pre>
          </figure>
        )}
        {state.error && <p className="detail-problem">{state.error}</p>}
      </Section>
      <Section title="Ports">
        {container.ports.length > 0 ? <PortList ports={container.ports} /> : <None text={state.status === 'running' ? 'None published' : 'Published while it runs'} />}
        {state.warnings.map((warning) => (
          <p key={warning} className="detail-warning" role="note">
            {warning}
          </p>
        ))}
      </Section>
      <Section title="Mounts">
        <Mounts container={container} />
      </Section>
      <Section title="Networks">
        <Networks container={container} />
      </Section>
      <Section title="Environment">
        <EnvTable env={env} />
      </Section>
      <Section title="Labels">
        <KeyValues label="Labels" entries={Object.entries({ ...image?.config.labels, ...spec.labels }).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => [key, <span className="mono">{value}</span>])} />
      </Section>
    </div>
  );
}
