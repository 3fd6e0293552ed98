'use client';
import * as ToggleGroup from '@radix-ui/react-toggle-group';

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
  return (
    <ToggleGroup.Root
      type="single"
      className="toggle-group"
      value={value}
      aria-label={label}
      onValueChange={(v) => v && onChange(v as T)}
    >
      {items.map((i) => (
        <ToggleGroup.Item key={i.value} value={i.value} className="toggle-item" aria-label={i.label}>
          {i.label}
        </ToggleGroup.Item>
      ))}
    </ToggleGroup.Root>
  );
}
