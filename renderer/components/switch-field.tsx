import { useId } from 'react';

/** An on/off setting: a switch, its name, and a line saying what it does. */
export function SwitchField({ label, help, checked, onChange, busy = false }: { label: string; help: string; checked: boolean; onChange: (on: boolean) => void; busy?: boolean }) {
  const helpId = useId();
  return (
    <label className="switch-field">
      <input type="checkbox" role="switch" checked={checked} aria-busy={busy} onChange={(e) => onChange(e.target.checked)} aria-describedby={helpId} />
      <span className="switch" aria-hidden="true" />
      <span className="setting-text">
        <span>{label}</span>
        <span id={helpId} className="field-help">
          {help}
        </span>
      </span>
    </label>
  );
}
