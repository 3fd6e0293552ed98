'use client';
import { useState } from 'react';
import * as U from '@/lib/api/endpoints/users';
import { useFormat, useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { Alert, Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { ApiErrorView } from './errors';

/** The caller's API tokens: create (scopes from the role's permissions, secret shown once), revoke. */
export function ApiTokens() {
  const t = useT();
  const f = useFormat();
  const s = useSession();
  const { data, error } = U.useApiTokensQuery();
  const [create, cr] = U.useCreateApiTokenMutation();
  const [revoke, rv] = U.useRevokeApiTokenMutation();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>([]);
  const perms = s?.user.permissions ?? [];
  return (
    <Card>
      <h2>{t('users.apiTokens')}</h2>
      <ApiErrorView error={error ?? cr.error ?? rv.error} />
      {cr.data && (
        <Alert tone="info">
          {t('equipment.tokenOnce')} <code className="mono">{cr.data.createApiToken.token}</code>
        </Alert>
      )}
      <ul>
        {(data?.apiTokens ?? []).map((k) => (
          <li key={k.id} className="row">
            <strong>{k.name}</strong> <code className="mono">{k.prefix}…</code>
            <span className="muted">
              {k.scopes.join(', ')} · {k.revokedAt ? t('equipment.revoked') : k.lastUsedAt ? t('equipment.lastUsed', { at: f.dateTime(k.lastUsedAt) }) : t('equipment.neverUsed')}
            </span>
            {!k.revokedAt && (
              <Button size="sm" variant="danger" onClick={() => revoke({ id: k.id })}>
                {t('equipment.revoke')}
              </Button>
            )}
          </li>
        ))}
      </ul>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          void create({ name, scopes });
        }}
      >
        <Field label={t('users.tokenName')} id="tok-name">
          <Input id="tok-name" required value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <fieldset className="row" style={{ border: 0, padding: 0 }}>
          <legend className="muted">{t('users.scopes')}</legend>
          {perms.map((p) => (
            <label key={p} className="row" style={{ gap: 4 }}>
              <input type="checkbox" checked={scopes.includes(p)} onChange={(e) => setScopes(e.target.checked ? [...scopes, p] : scopes.filter((x) => x !== p))} />
              <code className="mono">{p}</code>
            </label>
          ))}
        </fieldset>
        <Button type="submit" variant="primary" disabled={cr.isLoading || scopes.length === 0}>
          {t('users.createToken')}
        </Button>
      </form>
    </Card>
  );
}
