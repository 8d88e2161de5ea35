import { useState } from 'react';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function Scalar({ value }: { value: string | number | boolean | null }) {
  const kind = value === null ? 'null' : typeof value;
  return <span className={`json-${kind}`}>{JSON.stringify(value)}</span>;
}

function entriesOf(value: Json[] | { [key: string]: Json }): [string, Json][] {
  return Array.isArray(value) ? value.map((item, i) => [String(i), item]) : Object.entries(value);
}

/** One key and its value; objects and arrays fold (open to `depth` levels at first). */
function Node({ name, value, depth }: { name: string | undefined; value: Json; depth: number }) {
  const label = name !== undefined && <span className="json-key">{name}: </span>;
  if (value === null || typeof value !== 'object') {
    return (
      <li>
        {label}
        <Scalar value={value} />
      </li>
    );
  }
  const entries = entriesOf(value);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    return (
      <li>
        {label}
        <span className="muted">{open + close}</span>
      </li>
    );
  }
  return (
    <li>
      <details open={depth > 0}>
        <summary>
          {label}
          <span className="muted">
            {open} {entries.length} {Array.isArray(value) ? (entries.length === 1 ? 'item' : 'items') : entries.length === 1 ? 'key' : 'keys'} {close}
          </span>
        </summary>
        <ul>
          {entries.map(([key, item]) => (
            <Node key={key} name={key} value={item} depth={depth - 1} />
          ))}
        </ul>
      </details>
    </li>
  );
}

/** A JSON document as a tree to fold and unfold, with a button that copies it whole. */
export function JsonTree({ value, label, depth = 1 }: { value: unknown; label: string; depth?: number }) {
  const [copied, setCopied] = useState(false);
  const text = JSON.stringify(value, null, 2);
  const json = JSON.parse(text) as Json;
  return (
    <div className="json-tree">
      <div className="json-tools">
        <button
          type="button"
          className="button button-ghost"
          onClick={() =>
            navigator.clipboard.writeText(text).then(
              () => setCopied(true),
              () => setCopied(false),
            )
          }
        >
          {copied ? 'Copied' : 'Copy JSON'}
        </button>
      </div>
      <ul className="json-root mono" aria-label={label}>
        <Node name={undefined} value={json} depth={depth} />
      </ul>
    </div>
  );
}
