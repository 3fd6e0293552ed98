'use client';
import { Suspense, useState, type FormEvent } from 'react';
import { useRouter, useSearchParams } from 'next/navigation';
import { useAppDispatch, useAppSelector } from '@/lib/hooks';
import { useLoginMutation } from '@/lib/api/endpoints/auth';
import { saveSession, signedIn } from '@/lib/api/session';
import { resetLive } from '@/lib/api/live';
import { api } from '@/lib/api/api';
import { useT } from '@/lib/i18n';
import { Button } from '@/components/ui/button';
import { Alert, Card, Field, Input } from '@/components/ui/basics';
import { ApiErrorView } from '@/components/errors';
import { Prefs } from '@/components/shell';
import { homeOf, safeNext } from '@/components/nav';

function LoginForm() {
  const t = useT();
  const router = useRouter();
  const params = useSearchParams();
  const dispatch = useAppDispatch();
  const expired = useAppSelector((s) => s.auth.expired);
  const [login, { isLoading, error }] = useLoginMutation();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await login({ email, password });
    if ('data' in r && r.data) {
      const s = { ...r.data.login };
      saveSession(s);
      resetLive();
      dispatch(api.util.resetApiState());
      dispatch(signedIn(s));
      router.replace(safeNext(params.get('next')) ?? homeOf(s));
    }
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
        <p className="muted">{t('auth.noSignup')}</p>
      </form>
    </Card>
  );
}

export default function LoginPage() {
  return (
    <main className="page">
      <div className="row" style={{ justifyContent: 'flex-end' }}>
        <Prefs />
      </div>
      <Suspense>
        <LoginForm />
      </Suspense>
    </main>
  );
}
