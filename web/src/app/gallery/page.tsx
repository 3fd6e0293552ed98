'use client';
import { useState } from 'react';
import { Header } from '@/components/shell';
import { useT } from '@/lib/i18n';
import { Alert, Badge, Card, Field, Input, ProgressBar, Stat } from '@/components/ui/basics';
import { Button } from '@/components/ui/button';
import { Choice } from '@/components/ui/choice';
import { Modal } from '@/components/ui/modal';
import { Segmented } from '@/components/ui/segmented';
import { TabBar } from '@/components/ui/tabs';
import { JobStateBadge, OrderStatusBadge, PRINTER_STATUSES, PrinterStatusBadge } from '@/components/status';

const TOKENS = ['bg', 'surface', 'surface-2', 'border', 'text', 'muted', 'accent', 'ok', 'warn', 'danger', 'info'];

/** Every design-system component and token, in the current theme (switch it in the header). */
export default function GalleryPage() {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [tab, setTab] = useState<'a' | 'b'>('a');
  const [choice, setChoice] = useState('one');
  const [seg, setSeg] = useState('x');
  return (
    <>
      <Header />
      <main className="page stack">
        <h1>{t('gallery.title')}</h1>
        <Card>
          <h2>{t('gallery.colours')}</h2>
          <div className="row">
            {TOKENS.map((k) => (
              <div key={k} className="stack" style={{ gap: 4, alignItems: 'center', width: 84 }}>
                <div style={{ width: 48, height: 48, borderRadius: 8, border: '1px solid var(--c-border)', background: `var(--c-${k})` }} />
                <code className="muted">{k}</code>
              </div>
            ))}
          </div>
        </Card>
        <Card>
          <h2>{t('gallery.type')}</h2>
          <p style={{ fontSize: 'var(--t-xl)', margin: 0 }}>{t('gallery.sample')} — xl</p>
          <p style={{ fontSize: 'var(--t-lg)', margin: 0 }}>{t('gallery.sample')} — lg</p>
          <p style={{ margin: 0 }}>{t('gallery.sample')} — md</p>
          <p style={{ fontSize: 'var(--t-sm)', margin: 0 }} className="muted">
            {t('gallery.sample')} — sm
          </p>
        </Card>
        <Card>
          <h2>{t('gallery.buttons')}</h2>
          <div className="row">
            <Button variant="primary">{t('gallery.primary')}</Button>
            <Button>{t('gallery.default')}</Button>
            <Button variant="danger">{t('gallery.danger')}</Button>
            <Button size="sm">{t('gallery.small')}</Button>
            <Button disabled>{t('gallery.disabled')}</Button>
            <Button onClick={() => setOpen(true)}>{t('gallery.openDialog')}</Button>
          </div>
        </Card>
        <Card>
          <h2>{t('gallery.status')}</h2>
          <div className="row">
            {PRINTER_STATUSES.map((s) => (
              <PrinterStatusBadge key={s} status={s} />
            ))}
          </div>
          <div className="row" style={{ marginTop: 8 }}>
            <OrderStatusBadge status="PLACED" />
            <OrderStatusBadge status="DELIVERED" />
            <JobStateBadge state="FAILED" />
            <Badge tone="warn">{t('inventory.low')}</Badge>
          </div>
        </Card>
        <Card>
          <h2>{t('gallery.inputs')}</h2>
          <div className="stack" style={{ maxWidth: 360 }}>
            <Field label={t('auth.email')} id="g-email" hint={t('gallery.hint')}>
              <Input id="g-email" placeholder="ada@example.com" />
            </Field>
            <Choice
              label={t('gallery.select')}
              value={choice}
              onChange={setChoice}
              items={[
                { value: 'one', label: 'PLA' },
                { value: 'two', label: 'PETG' },
              ]}
            />
            <Segmented
              label={t('gallery.segmented')}
              value={seg}
              onChange={setSeg}
              items={[
                { value: 'x', label: t('schedule.day') },
                { value: 'y', label: t('schedule.week') },
              ]}
            />
            <TabBar
              label={t('gallery.tabs')}
              value={tab}
              onChange={setTab}
              items={[
                { value: 'a', label: t('orderStatus.PLACED') },
                { value: 'b', label: t('orderStatus.PAID') },
              ]}
            >
              <p className="muted">{t(tab === 'a' ? 'orderStatus.PLACED' : 'orderStatus.PAID')}</p>
            </TabBar>
            <ProgressBar value={62} label={t('jobs.progress')} />
          </div>
        </Card>
        <div className="grid-stats">
          <Stat label={t('overview.printing')} value={7} />
          <Stat label={t('overview.queued')} value={23} />
        </div>
        <Alert>{t('error.CONFLICT')}</Alert>
        <Alert tone="info">{t('auth.expired')}</Alert>
        <Modal open={open} onOpenChange={setOpen} title={t('gallery.dialogTitle')} description={t('gallery.hint')}>
          <Button onClick={() => setOpen(false)}>{t('common.close')}</Button>
        </Modal>
      </main>
    </>
  );
}
