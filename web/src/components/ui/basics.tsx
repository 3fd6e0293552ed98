import * as Label from '@radix-ui/react-label';
import * as Progress from '@radix-ui/react-progress';
import type { HTMLAttributes, InputHTMLAttributes, ReactNode } from 'react';

export function Card({ className, ...rest }: HTMLAttributes<HTMLDivElement>) {
  return <section className={['card', className].filter(Boolean).join(' ')} {...rest} />;
}

export type Tone = 'neutral' | 'ok' | 'warn' | 'danger' | 'info';

export function Badge({ tone = 'neutral', children, ...rest }: { tone?: Tone; children: ReactNode } & HTMLAttributes<HTMLSpanElement>) {
  return (
    <span className={tone === 'neutral' ? 'badge' : `badge badge-${tone}`} {...rest}>
      {children}
    </span>
  );
}

export function Field({ label, id, hint, children }: { label: string; id: string; hint?: string; children: ReactNode }) {
  return (
    <div className="field">
      <Label.Root htmlFor={id}>{label}</Label.Root>
      {children}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

export function Input(props: InputHTMLAttributes<HTMLInputElement>) {
  return <input className="input" {...props} />;
}

export function ProgressBar({ value, label }: { value: number; label: string }) {
  const v = Math.max(0, Math.min(100, value));
  return (
    <Progress.Root className="progress" value={v} aria-label={label}>
      <Progress.Indicator className="progress-bar" style={{ transform: `translateX(-${100 - v}%)` }} />
    </Progress.Root>
  );
}

export function Stat({ label, value, testId }: { label: string; value: ReactNode; testId?: string }) {
  return (
    <Card>
      <div className="muted">{label}</div>
      <div className="stat-value" data-testid={testId}>
        {value}
      </div>
    </Card>
  );
}

export function Alert({ tone = 'error', children }: { tone?: 'error' | 'info'; children: ReactNode }) {
  return (
    <div className={`alert alert-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}
