import { useState, type ReactNode } from 'react';
import type { Container } from '../../../shared/containers.js';
import { PortList } from '../../components/port-list.js';
import { formatAge } from '../../format/duration.js';
import { effectiveEnv, looksSecret, splitEnv } from '../../format/secret-key.js';
import { useClock } from '../../store/clock-store.js';
import { useImages } from '../../store/images-store.js';

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="detail-section" aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

function Fields({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <dl className="detail-fields">
      {rows.map(([term, value]) => (
        <div key={term} className="detail-field">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function None({ text = 'None' }: { text?: string }) {
  return <span className="muted">{text}</span>;
}

function When({ iso }: { iso: string }) {
  const age = useClock(({ now }) => formatAge(iso, now));
  if (!iso) return <None text="—" />;
  return (
    <time dateTime={iso} title={iso}>
      {new Date(iso).toLocaleString()} <span className="muted">({age})</span>
    </time>
  );
}

function Argv({ argv }: { argv: readonly string[] }) {
  if (argv.length === 0) return <None />;
  return <code className="argv mono">{argv.map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : JSON.stringify(word))).join(' ')}</code>;
}

/** A value that looks secret stays masked until clicked; a second click hides it again. */
function EnvValue({ name, value }: { name: string; value: string }) {
  const [shown, setShown] = useState(false);
  if (!looksSecret(name)) return <span className="mono">{value}</span>;
  return (
    <button type="button" className="secret-value mono" aria-pressed={shown} aria-label={shown ? `Hide ${name}` : `Show ${name}`} onClick={() => setShown(!shown)}>
      {shown ? value : '••••••••'}
    </button>
  );
}

function KeyValues({ label, entries }: { label: string; entries: [string, ReactNode][] }) {
  if (entries.length === 0) return <None />;
  return (
    <table className="kv-table" aria-label={label}>
      <tbody>
        {entries.map(([key, value]) => (
          <tr key={key}>
            <th scope="row" className="mono">
              {key}
            </th>
            <td>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

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
            ['Image', <span className="mono">{container.image} <span className="muted">{container.imageId.replace(/^sha256:/, '').slice(0, 12)}</span></span>],
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
      </Section>
      <Section title="Mounts">
        <Mounts container={container} />
      </Section>
      <Section title="Networks">
        <Networks container={container} />
      </Section>
      <Section title="Environment">
        <KeyValues
          label="Environment"
          entries={env.map((entry) => {
            const [key, value] = splitEnv(entry);
            return [key, value === undefined ? <None text="(unset)" /> : <EnvValue name={key} value={value} />];
          })}
        />
      </Section>
      <Section title="Labels">
        <KeyValues label="Labels" entries={Object.entries({ ...image?.config.labels, ...spec.labels }).sort(([a], [b]) => a.localeCompare(b)).map(([key, value]) => [key, <span className="mono">{value}</span>])} />
      </Section>
    </div>
  );
}
