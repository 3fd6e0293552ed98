'use client';
import { useState, type FormEvent } from 'react';
import { Page } from '@/components/shell';
import * as U from '@/lib/api/endpoints/users';
import type { Role } from '@/lib/graphql/generated';
import { useFormat, useT } from '@/lib/i18n';
import { Badge, Card, Field, Input } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { ApiErrorView } from '@/components/errors';

const STAFF_ROLES: Role[] = ['ADMIN', 'PLANNER', 'OPERATOR', 'ACCOUNTANT', 'SALES', 'INTEGRATOR'];

function NewUser() {
  const t = useT();
  const [create, { error, isLoading, data }] = U.useCreateUserMutation();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('OPERATOR');
  const [password, setPassword] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void create({ input: { email, displayName: name, role, password: password || null } });
  };
  return (
    <Card>
      <h2>{t('users.add')}</h2>
      <form className="stack" onSubmit={submit}>
        <div className="row" style={{ alignItems: 'flex-end' }}>
          <Field label={t('auth.email')} id="nu-email">
            <Input id="nu-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </Field>
          <Field label={t('account.name')} id="nu-name">
            <Input id="nu-name" required value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <div className="field">
            <span className="muted">{t('account.role')}</span>
            <Choice label={t('account.role')} value={role} onChange={setRole} items={STAFF_ROLES.map((r) => ({ value: r, label: t(`role.${r}`) }))} />
          </div>
          <Field label={t('auth.password')} id="nu-password" hint={t('account.passwordRule')}>
            <Input id="nu-password" type="password" autoComplete="new-password" minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />
          </Field>
        </div>
        <ApiErrorView error={error} />
        {data && <p>{t('equipment.added', { name: data.createUser.displayName })}</p>}
        <Button type="submit" variant="primary" disabled={isLoading}>
          {t('users.add')}
        </Button>
      </form>
    </Card>
  );
}

function Users() {
  const t = useT();
  const f = useFormat();
  const { data, error } = U.useUsersQuery();
  const [deactivate, d] = U.useDeactivateUserMutation();
  const [reactivate, r] = U.useReactivateUserMutation();
  const [changeRole, cr] = U.useChangeRoleMutation();
  return (
    <div className="stack">
      <ApiErrorView error={error ?? d.error ?? r.error ?? cr.error} />
      <Card>
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>{t('account.name')}</th>
                <th>{t('auth.email')}</th>
                <th>{t('account.role')}</th>
                <th className="hide-sm">{t('account.since')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {(data?.users ?? []).map((u) => (
                <tr key={u.id}>
                  <td>
                    {u.displayName} {!u.active && <Badge tone="danger">{t('users.inactive')}</Badge>}
                  </td>
                  <td>{u.email}</td>
                  <td>
                    {u.role === 'CUSTOMER' ? (
                      t('role.CUSTOMER')
                    ) : (
                      <Choice
                        label={t('users.roleOf', { name: u.displayName })}
                        value={u.role}
                        onChange={(role) => void changeRole({ id: u.id, role })}
                        items={STAFF_ROLES.map((x) => ({ value: x, label: t(`role.${x}`) }))}
                      />
                    )}
                  </td>
                  <td className="hide-sm">{f.date(u.createdAt)}</td>
                  <td>
                    {u.active ? (
                      <Button size="sm" variant="danger" onClick={() => deactivate({ id: u.id })}>
                        {t('users.deactivate')}
                      </Button>
                    ) : (
                      <Button size="sm" onClick={() => reactivate({ id: u.id })}>
                        {t('users.reactivate')}
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Card>
      <NewUser />
    </div>
  );
}

export default function UsersPage() {
  const t = useT();
  return (
    <Page perm="users:admin" area="console" pack="staff">
      <h1>{t('nav.users')}</h1>
      <Users />
    </Page>
  );
}
