'use client';

/**
 * A single choice from a short list: the platform's own <select>, styled with the tokens (native
 * pickers are the most usable on phones, and cost no JavaScript).
 */
export function Choice<T extends string>({
  value,
  onChange,
  items,
  label,
  id,
}: {
  value: T;
  onChange: (v: T) => void;
  items: { value: T; label: string }[];
  label: string;
  id?: string;
}) {
  return (
    <select className="select-trigger" aria-label={label} id={id} value={value} onChange={(e) => onChange(e.target.value as T)}>
      {items.map((i) => (
        <option key={i.value} value={i.value}>
          {i.label}
        </option>
      ))}
    </select>
  );
}
