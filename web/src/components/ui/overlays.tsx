'use client';
import * as Dialog from '@radix-ui/react-dialog';
import * as Tabs from '@radix-ui/react-tabs';
import * as Select from '@radix-ui/react-select';
import * as ToggleGroup from '@radix-ui/react-toggle-group';
import type { ReactNode } from 'react';

export function Modal({
  open,
  onOpenChange,
  title,
  description,
  children,
}: {
  open: boolean;
  onOpenChange: (o: boolean) => void;
  title: string;
  description?: string;
  children: ReactNode;
}) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog-content" aria-describedby={description ? undefined : undefined}>
          <Dialog.Title>{title}</Dialog.Title>
          <Dialog.Description className={description ? 'muted' : 'sr-only'}>{description ?? title}</Dialog.Description>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

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
    <Select.Root value={value} onValueChange={(v) => onChange(v as T)}>
      <Select.Trigger className="select-trigger" aria-label={label} id={id}>
        <Select.Value />
        <Select.Icon aria-hidden>▾</Select.Icon>
      </Select.Trigger>
      <Select.Portal>
        <Select.Content className="select-content" position="popper" sideOffset={4}>
          <Select.Viewport>
            {items.map((i) => (
              <Select.Item key={i.value} value={i.value} className="select-item">
                <Select.ItemText>{i.label}</Select.ItemText>
              </Select.Item>
            ))}
          </Select.Viewport>
        </Select.Content>
      </Select.Portal>
    </Select.Root>
  );
}

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
