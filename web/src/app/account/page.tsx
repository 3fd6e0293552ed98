'use client';
import { useState, type FormEvent } from 'react';
import { useRouter } from 'next/navigation';
import { Page, Prefs } from '@/components/shell';
import { useChangePasswordMutation, useMeQuery } from '@/lib/api/endpoints/auth';
import { saveSession, signedOut } from '@/lib/api/session';
import { useAppDispatch } from '@/lib/hooks';
import { useFormat, useT } from '@/lib/i18n';
import { Alert, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { ApiErrorView } from '@/components/errors';
import { ApiTokens } from '@/components/api-tokens';
import { ProfileForm } from '@/components/profile-form';
import { useSession } from '@/lib/hooks';

function Account() {
  const t = useT();
  const f = useFormat();
  const router = useRouter();
  const dispatch = useAppDispatch();
  const session = useSession();
  const { data, error } = useMeQuery();
  const [change, changeState] = useChangePasswordMutation();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const [repeat, setRepeat] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== repeat);
    if (next !== repeat) return;
    const r = await change({ currentPassword: current, newPassword: next });
    if ('data' in r) {
      // Every session of the account ends: sign in again with the new password.
      saveSession(null);
      dispatch(signedOut());
      router.replace('/login/');
    }
  };
  return (
    <div className="stack" style={{ maxWidth: 640 }}>
      <ApiErrorView error={error} />
      {data && (
        <Card>
          <h2>{t('account.profile')}</h2>
          <dl className="kv">
            <dt>{t('account.name')}</dt>
            <dd>{data.me.displayName}</dd>
            <dt>{t('auth.email')}</dt>
            <dd>{data.me.email}</dd>
            <dt>{t('account.role')}</dt>
            <dd>{t(`role.${data.me.role}`)}</dd>
            <dt>{t('account.since')}</dt>
            <dd>{f.date(data.me.createdAt)}</dd>
          </dl>
        </Card>
      )}
      <ProfileForm />
      <Card>
        <h2>{t('account.preferences')}</h2>
        <Prefs />
      </Card>
      <Card>
        <h2>{t('account.password')}</h2>
        <form className="stack" onSubmit={submit}>
          <Field label={t('account.currentPassword')} id="pw-current">
            <Input id="pw-current" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          </Field>
          <Field label={t('account.newPassword')} id="pw-new" hint={t('account.passwordRule')}>
            <Input id="pw-new" type="password" autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.target.value)} />
          </Field>
          <Field label={t('account.repeatPassword')} id="pw-repeat">
            <Input id="pw-repeat" type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />
          </Field>
          {mismatch && <Alert>{t('account.mismatch')}</Alert>}
          <ApiErrorView error={changeState.error} />
          <Button type="submit" variant="primary" disabled={changeState.isLoading}>
            {t('account.changePassword')}
          </Button>
        </form>
      </Card>
      {session && session.user.role !== 'CUSTOMER' && <ApiTokens />}
    </div>
  );
}

export default function AccountPage() {
  const t = useT();
  return (
    <Page perm={null}>
      <h1>{t('nav.account')}</h1>
      <Account />
    </Page>
  );
}
