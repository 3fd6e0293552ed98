'use client';
import { Page } from '@/components/shell';
import { useT } from '@/lib/i18n';
import { useSession } from '@/lib/hooks';
import { can } from '@/lib/api/session';
import { Endpoints, HeldInbound } from '@/components/webhooks';

function Integrations() {
  const s = useSession();
  const canManage = can(s, 'webhooks:manage');
  return (
    <div className="stack">
      <Endpoints canManage={canManage} />
      {can(s, 'orders:read_all') && can(s, 'finance:read') && <HeldInbound />}
    </div>
  );
}

export default function IntegrationsPage() {
  const t = useT();
  return (
    <Page perm="webhooks:read" area="console" pack="staff">
      <h1>{t('nav.integrations')}</h1>
      <Integrations />
    </Page>
  );
}
