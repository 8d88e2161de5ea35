import { useState, type ReactNode } from 'react';
import { formatAge } from '../format/duration.js';
import { looksSecret, splitEnv } from '../format/secret-key.js';
import { useClock } from '../store/clock-store.js';

/** The parts a details page (a container's, an image's) is made of. */
/** `wide`: across the whole page (a table with long lines). */
export function Section({ title, wide = false, children }: { title: string; wide?: boolean; children: ReactNode }) {
  return (
    <section className={`detail-section${wide ? ' wide' : ''}`} aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Fields({ rows }: { rows: [string, ReactNode][] }) {
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

export function None({ text = 'None' }: { text?: string }) {
  return <span className="muted">{text}</span>;
}

export function When({ iso }: { iso: string }) {
  const age = useClock(({ now }) => formatAge(iso, now));
  if (!iso) return <None text="—" />;
  return (
    <time dateTime={iso} title={iso}>
      {new Date(iso).toLocaleString()} <span className="muted">({age})</span>
    </time>
  );
}

export function Argv({ argv }: { argv: readonly string[] }) {
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

export function KeyValues({ label, entries }: { label: string; entries: [string, ReactNode][] }) {
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

export function EnvTable({ env }: { env: readonly string[] }) {
  return (
    <KeyValues
      label="Environment"
      entries={env.map((entry) => {
        const [key, value] = splitEnv(entry);
        return [key, value === undefined ? <None text="(unset)" /> : <EnvValue name={key} value={value} />];
      })}
    />
  );
}
