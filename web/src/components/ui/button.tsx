import { Slot } from '@radix-ui/react-slot';
import type { ButtonHTMLAttributes } from 'react';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: 'default' | 'primary' | 'danger';
  size?: 'md' | 'sm';
  /** Render the child (e.g. a link) with button styles. */
  asChild?: boolean;
}

export function Button({ variant = 'default', size = 'md', asChild, className, type, ...rest }: ButtonProps) {
  const Comp = asChild ? Slot : 'button';
  const cls = ['btn', variant !== 'default' && `btn-${variant}`, size === 'sm' && 'btn-sm', className]
    .filter(Boolean)
    .join(' ');
  return <Comp className={cls} {...(asChild ? {} : { type: type ?? 'button' })} {...rest} />;
}
