'use client';
import * as Tabs from '@radix-ui/react-tabs';
import type { ReactNode } from 'react';

export function TabBar<T extends string>({
  value,
  onChange,
  items,
  label,
  children,
}: {
  value: T;
  onChange: (v: T) => void;
  items: { value: T; label: string }[];
  label: string;
  /** The panel of the selected tab. */
  children?: ReactNode;
}) {
  return (
    <Tabs.Root value={value} onValueChange={(v) => onChange(v as T)}>
      <Tabs.List className="tabs-list" aria-label={label}>
        {items.map((i) => (
          <Tabs.Trigger key={i.value} value={i.value} className="tabs-trigger">
            {i.label}
          </Tabs.Trigger>
        ))}
      </Tabs.List>
      {items.map((i) => (
        <Tabs.Content key={i.value} value={i.value}>
          {i.value === value ? children : null}
        </Tabs.Content>
      ))}
    </Tabs.Root>
  );
}
