'use client';
import Link from 'next/link';
import { Page } from '@/components/shell';
import { usePlanningSetupQuery } from '@/lib/api/endpoints/planning';
import { useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { ApiErrorView } from '@/components/errors';
import { Circuits } from '@/components/planning/circuits';
import { ModelPower } from '@/components/planning/model-power';
import { Stability } from '@/components/planning/stability';

function Planning() {
  const t = useT();
  const s = useSession();
  const { data, error } = usePlanningSetupQuery();
  if (error) return <ApiErrorView error={error} />;
  if (!data) return <p className="muted">{t('common.loading')}</p>;
  // Reading needs production:read (the page's permission); changing production:plan.
  const canEdit = can(s, 'production:plan');
  return (
    <div className="stack">
      <p className="muted">
        {t('planning.intro')} <Link href="/console/schedule/">{t('planning.toSchedule')}</Link>
      </p>
      {!canEdit && <p className="muted">{t('planning.readOnly')}</p>}
      <Stability settings={data.planningSettings} canEdit={canEdit} />
      <Circuits setup={data} canEdit={canEdit} />
      <ModelPower setup={data} canEdit={canEdit} />
    </div>
  );
}

export default function PlanningPage() {
  const t = useT();
  return (
    <Page perm="production:read" area="console" pack="staff">
      <h1>{t('nav.planning')}</h1>
      <Planning />
    </Page>
  );
}
