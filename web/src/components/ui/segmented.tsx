'use client';
import { useId } from 'react';

/**
 * A single choice among a few options shown side by side: native radio buttons (arrow keys move
 * between them; no script beyond React's) styled as a segmented control.
 */
export function Segmented<T extends string>({
  value,
  onChange,
  items,
  label,
}: {
  value: T;
  onChange: (v: T) => void;
  items: { value: T; label: string }[];
  label: string;
}) {
  const name = useId();
  return (
    <div role="radiogroup" className="toggle-group" aria-label={label}>
      {items.map((i) => (
        <label key={i.value} className="toggle-item" data-state={i.value === value ? 'on' : 'off'}>
          <input type="radio" className="toggle-input" name={name} value={i.value} checked={i.value === value} onChange={() => onChange(i.value)} />
          {i.label}
        </label>
      ))}
    </div>
  );
}
