'use client';
import { useState, type FormEvent } from 'react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useAppSelector } from '@/lib/hooks';
import { useLoginMutation } from '@/lib/api/endpoints/auth';
import { useSignedIn } from '@/lib/useSignedIn';
import { useT } from '@/lib/i18n';
import { Button } from '@/components/ui/button';
import { Alert, Card, Field, Input } from '@/components/ui/basics';
import { ApiErrorView } from '@/components/errors';
import { SignedOutPage } from '@/components/shell';

function LoginForm() {
  const t = useT();
  const params = useSearchParams();
  const start = useSignedIn();
  const expired = useAppSelector((s) => s.auth.expired);
  const [login, { isLoading, error }] = useLoginMutation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await login({ email, password });
    if ('data' in r && r.data) start(r.data.login);
  };

  return (
    <Card style={{ maxWidth: 420, margin: '8vh auto' }}>
      <h1>{t('auth.title')}</h1>
      <form className="stack" onSubmit={submit}>
        {expired && <Alert tone="info">{t('auth.expired')}</Alert>}
        <Field label={t('auth.email')} id="email">
          <Input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label={t('auth.password')} id="password">
          <Input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <ApiErrorView error={error} />
        <Button type="submit" variant="primary" disabled={isLoading}>
          {t('auth.signIn')}
        </Button>
        <p className="muted">
          {t('auth.noAccount')}{' '}
          <Link href={params.get('next') ? `/signup/?next=${encodeURIComponent(params.get('next')!)}` : '/signup/'}>
            {t('auth.createAccount')}
          </Link>
        </p>
      </form>
    </Card>
  );
}

export default function LoginPage() {
  return (
    <SignedOutPage>
      <LoginForm />
    </SignedOutPage>
  );
}
