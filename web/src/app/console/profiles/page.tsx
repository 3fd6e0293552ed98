'use client';
import { Page } from '@/components/shell';
import { useProfilesQuery } from '@/lib/api/endpoints/profiles';
import { useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { ApiErrorView } from '@/components/errors';
import { PrinterProfiles } from '@/components/profiles/printer-profiles';
import { FilamentProfiles } from '@/components/profiles/filament-profiles';

function Profiles() {
  const t = useT();
  const s = useSession();
  const { data, error } = useProfilesQuery();
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  // Reading needs equipment:read (the page's permission); setting a profile production:plan.
  const canEdit = can(s, 'production:plan');
  return (
    <div className="stack">
      <p className="muted">{t('profiles.intro')}</p>
      {!canEdit && <p className="muted">{t('profiles.readOnly')}</p>}
      <PrinterProfiles data={data} canEdit={canEdit} />
      <FilamentProfiles data={data} canEdit={canEdit} />
    </div>
  );
}

export default function ProfilesPage() {
  const t = useT();
  return (
    <Page perm="equipment:read" area="console" pack="staff">
      <h1>{t('nav.profiles')}</h1>
      <Profiles />
    </Page>
  );
}
