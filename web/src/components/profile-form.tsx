'use client';
import { useState } from 'react';
import { useMyProfileQuery, useUpdateProfileMutation } from '@/lib/api/endpoints/profile';
import type { AddressKind, MyProfileQuery } from '@/lib/graphql/generated';
import { useT } from '@/lib/i18n';
import { Alert, Card, Field, Input } from './ui/basics';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

type Address = MyProfileQuery['myProfile']['addresses'][number];
const KINDS: AddressKind[] = ['BILLING', 'SHIPPING', 'OTHER'];
const MAX_ADDRESSES = 10;
const blank = (): Address => ({ kind: 'SHIPPING', line1: '', line2: null, city: '', region: null, postalCode: null, country: '' });

/** One's own name; for customers also company, phone and addresses (kept by the CRM). */
export function ProfileForm() {
  const { data, error } = useMyProfileQuery();
  if (error) return <ApiErrorView error={error} />;
  if (!data) return null;
  // The form starts from what the server holds and follows what a save answers.
  return <Editor key={data.myProfile.user.id} profile={data.myProfile} />;
}

function Editor({ profile }: { profile: MyProfileQuery['myProfile'] }) {
  const t = useT();
  const [update, state] = useUpdateProfileMutation();
  const customer = profile.customer !== null;
  const [name, setName] = useState(profile.user.displayName);
  const [company, setCompany] = useState(profile.customer?.company ?? '');
  const [phone, setPhone] = useState(profile.phone ?? '');
  const [addresses, setAddresses] = useState<Address[]>(profile.addresses);
  const set = (i: number, patch: Partial<Address>) => setAddresses((all) => all.map((a, k) => (k === i ? { ...a, ...patch } : a)));
  return (
    <Card>
      <h2>{t('account.editProfile')}</h2>
      <form
        className="stack"
        data-testid="profile-form"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await update({
            input: customer
              ? {
                  name,
                  company,
                  phone,
                  addresses: addresses.map((a) => ({
                    kind: a.kind,
                    line1: a.line1,
                    line2: a.line2 || null,
                    city: a.city,
                    region: a.region || null,
                    postalCode: a.postalCode || null,
                    country: a.country,
                  })),
                }
              : { name },
          });
          if ('data' in r && r.data) {
            const saved = r.data.updateProfile;
            setName(saved.user.displayName);
            setCompany(saved.customer?.company ?? '');
            setPhone(saved.phone ?? '');
            setAddresses(saved.addresses);
          }
        }}
      >
        <Field label={t('account.name')} id="profile-name">
          <Input id="profile-name" value={name} onChange={(e) => setName(e.target.value)} required autoComplete="name" />
        </Field>
        {customer && (
          <>
            <Field label={t('account.company')} id="profile-company">
              <Input id="profile-company" value={company} onChange={(e) => setCompany(e.target.value)} autoComplete="organization" />
            </Field>
            <Field label={t('account.phone')} id="profile-phone">
              <Input id="profile-phone" type="tel" value={phone} onChange={(e) => setPhone(e.target.value)} autoComplete="tel" />
            </Field>
            <h3>{t('account.addresses')}</h3>
            {addresses.map((a, i) => (
              <fieldset key={i} className="stack" data-testid="address">
                <legend>{t('account.addressN', { n: i + 1 })}</legend>
                <Choice<AddressKind>
                  label={t('account.addressKind')}
                  value={a.kind}
                  onChange={(kind) => set(i, { kind })}
                  items={KINDS.map((k) => ({ value: k, label: t(`addressKind.${k}`) }))}
                />
                <Field label={t('account.line1')} id={`addr-${i}-line1`}>
                  <Input id={`addr-${i}-line1`} value={a.line1} onChange={(e) => set(i, { line1: e.target.value })} required autoComplete="address-line1" />
                </Field>
                <Field label={t('account.line2')} id={`addr-${i}-line2`}>
                  <Input id={`addr-${i}-line2`} value={a.line2 ?? ''} onChange={(e) => set(i, { line2: e.target.value })} autoComplete="address-line2" />
                </Field>
                <div className="row">
                  <Field label={t('account.postalCode')} id={`addr-${i}-postal`}>
                    <Input id={`addr-${i}-postal`} value={a.postalCode ?? ''} onChange={(e) => set(i, { postalCode: e.target.value })} autoComplete="postal-code" />
                  </Field>
                  <Field label={t('account.city')} id={`addr-${i}-city`}>
                    <Input id={`addr-${i}-city`} value={a.city} onChange={(e) => set(i, { city: e.target.value })} required autoComplete="address-level2" />
                  </Field>
                  <Field label={t('account.country')} id={`addr-${i}-country`} hint={t('account.countryHint')}>
                    <Input
                      id={`addr-${i}-country`}
                      value={a.country}
                      onChange={(e) => set(i, { country: e.target.value })}
                      required
                      maxLength={2}
                      size={3}
                      autoComplete="country"
                    />
                  </Field>
                </div>
                <div className="row">
                  <Button size="sm" variant="danger" onClick={() => setAddresses((all) => all.filter((_, k) => k !== i))}>
                    {t('account.removeAddress')}
                  </Button>
                </div>
              </fieldset>
            ))}
            {addresses.length < MAX_ADDRESSES && (
              <div className="row">
                <Button size="sm" onClick={() => setAddresses((all) => [...all, blank()])}>
                  {t('account.addAddress')}
                </Button>
              </div>
            )}
          </>
        )}
        <ApiErrorView error={state.error} />
        {state.isSuccess && <Alert tone="info">{t('account.saved')}</Alert>}
        <div className="row">
          <Button type="submit" variant="primary" disabled={state.isLoading || !name.trim()}>
            {t('account.save')}
          </Button>
        </div>
      </form>
    </Card>
  );
}
