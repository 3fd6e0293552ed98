'use client';
import { useId } from 'react';
import { useT } from '@/lib/i18n';
import { Field } from '../ui/basics';

/** PrusaSlicer settings (INI `key = value` lines): typed or pasted, or read from a file. */
export function SlicerConfigInput({ value, onChange, invalid }: { value: string; onChange: (v: string) => void; invalid?: boolean }) {
  const t = useT();
  const id = useId();
  return (
    <div className="stack">
      <Field label={t('profiles.slicerConfig')} id={`${id}-text`} hint={t('profiles.slicerConfigHint')}>
        <textarea
          id={`${id}-text`}
          className="input mono"
          rows={8}
          spellCheck={false}
          value={value}
          aria-invalid={invalid}
          onChange={(e) => onChange(e.target.value)}
          data-testid="slicer-config"
        />
      </Field>
      <Field label={t('profiles.slicerFile')} id={`${id}-file`}>
        <input
          id={`${id}-file`}
          type="file"
          accept=".ini,.txt,text/plain"
          data-testid="slicer-file"
          onChange={(e) => {
            const f = e.target.files?.[0];
            if (f) void f.text().then(onChange);
          }}
        />
      </Field>
    </div>
  );
}
