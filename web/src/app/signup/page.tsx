'use client';
import { useState, type FormEvent } from 'react';
import Link from 'next/link';
import { useSearchParams } from 'next/navigation';
import { useSignUpMutation } from '@/lib/api/endpoints/auth';
import { useSignedIn } from '@/lib/useSignedIn';
import { useT } from '@/lib/i18n';
import { Button } from '@/components/ui/button';
import { Card, Field, Input } from '@/components/ui/basics';
import { ApiErrorView } from '@/components/errors';
import { SignedOutPage } from '@/components/shell';

/** A customer registers (`signUp`): a customer record and account, signed in at once. */
function SignUpForm() {
  const t = useT();
  const params = useSearchParams();
  const start = useSignedIn();
  const [signUp, { isLoading, error }] = useSignUpMutation();
  const [name, setName] = useState('');
  const [company, setCompany] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await signUp({ input: { email, password, name, company: company.trim() || null } });
    if ('data' in r && r.data) start(r.data.signUp);
  };
  const next = params.get('next');

  return (
    <Card style={{ maxWidth: 420, margin: '6vh auto' }}>
      <h1>{t('signup.title')}</h1>
      <form className="stack" onSubmit={submit}>
        <Field label={t('signup.name')} id="name">
          <Input id="name" autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label={t('signup.company')} id="company">
          <Input id="company" autoComplete="organization" value={company} onChange={(e) => setCompany(e.target.value)} />
        </Field>
        <Field label={t('auth.email')} id="email">
          <Input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field label={t('auth.password')} id="password" hint={t('signup.passwordHint')}>
          <Input
            id="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <ApiErrorView error={error} />
        <Button type="submit" variant="primary" disabled={isLoading}>
          {t('signup.submit')}
        </Button>
        <p className="muted">
          {t('auth.haveAccount')}{' '}
          <Link href={next ? `/login/?next=${encodeURIComponent(next)}` : '/login/'}>{t('auth.signIn')}</Link>
        </p>
      </form>
    </Card>
  );
}

export default function SignUpPage() {
  return (
    <SignedOutPage>
      <SignUpForm />
    </SignedOutPage>
  );
}
