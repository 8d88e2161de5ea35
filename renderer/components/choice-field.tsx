import { useId } from 'react';

/** A setting with a few values: its name, a list to pick from, and a line saying what it does. */
export function ChoiceField<T extends string | number>({
  label,
  help,
  value,
  choices,
  onChange,
  busy = false,
}: {
  label: string;
  help: string;
  value: T;
  choices: readonly { value: T; label: string }[];
  onChange: (value: T) => void;
  busy?: boolean;
}) {
  const helpId = useId();
  const selectId = useId();
  return (
    <div className="choice-field">
      <span className="setting-text">
        <label htmlFor={selectId}>{label}</label>
        <span id={helpId} className="field-help">
          {help}
        </span>
      </span>
      <select id={selectId} value={String(value)} aria-busy={busy} aria-describedby={helpId} onChange={(e) => onChange(choices.find((choice) => String(choice.value) === e.target.value)!.value)}>
        {choices.map((choice) => (
          <option key={choice.value} value={String(choice.value)}>
            {choice.label}
          </option>
        ))}
      </select>
    </div>
  );
}
