import { Button } from './button.js';
import { CloseIcon, PlusIcon } from './icons.js';

export interface VolumeRow {
  source: string;
  target: string;
  readOnly: boolean;
}

export const EMPTY_VOLUME: VolumeRow = { source: '', target: '', readOnly: false };

/** Rows as `-v` specs; a row left wholly empty is no volume, a half-filled one goes on for the engine to name. */
export function volumeSpecs(rows: readonly VolumeRow[]): string[] {
  return rows
    .filter((row) => row.source.trim() !== '' || row.target.trim() !== '')
    .map((row) => `${row.source.trim()}:${row.target.trim()}${row.readOnly ? ':ro' : ''}`);
}

/** The Run dialog's volumes: a host folder or volume name, where it appears in the container, read-only or not. */
export function VolumeRows({ rows, onChange }: { rows: VolumeRow[]; onChange: (rows: VolumeRow[]) => void }) {
  const set = (index: number, change: Partial<VolumeRow>) => onChange(rows.map((row, i) => (i === index ? { ...row, ...change } : row)));
  return (
    <fieldset className="field volume-rows" aria-describedby="run-volumes-help">
      <legend>Volumes</legend>
      {rows.map((row, index) => (
        <div className="volume-row" key={index} role="group" aria-label={`Volume ${index + 1}`}>
          <input aria-label="Host folder or volume name" placeholder="/home/me/src or a volume name" value={row.source} onChange={(e) => set(index, { source: e.target.value })} spellCheck={false} autoComplete="off" />
          <span className="volume-arrow" aria-hidden="true">→</span>
          <input aria-label="Path in the container" placeholder="/data" value={row.target} onChange={(e) => set(index, { target: e.target.value })} spellCheck={false} autoComplete="off" />
          <label className="volume-ro">
            <input type="checkbox" checked={row.readOnly} onChange={(e) => set(index, { readOnly: e.target.checked })} />
            Read-only
          </label>
          <button type="button" className="icon-button" aria-label={`Remove volume ${index + 1}`} onClick={() => onChange(rows.filter((_, i) => i !== index))}>
            <CloseIcon />
          </button>
        </div>
      ))}
      <div className="volume-add">
        <Button kind="ghost" icon={<PlusIcon />} onClick={() => onChange([...rows, EMPTY_VOLUME])}>
          Add volume
        </Button>
      </div>
      <span id="run-volumes-help" className="field-help">
        Mounted while the container runs and released when it stops. A name instead of a path makes a named volume.
      </span>
    </fieldset>
  );
}
