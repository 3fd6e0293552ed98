'use client';
import { useEffect, useState } from 'react';
import { useAppSelector } from '@/lib/hooks';
import { useFormat, useT } from '@/lib/i18n';
import { Alert } from './ui/basics';
import { Button } from './ui/button';
import { Modal } from './ui/modal';

/**
 * The printer's latest camera picture, fetched with the session's bearer token (an `<img>` could
 * not send it) and shown from an object URL; the printer's own address never reaches the browser.
 */
export function Snapshot({ url, takenAt, name }: { url: string; takenAt: string | null; name: string }) {
  const t = useT();
  const f = useFormat();
  const token = useAppSelector((s) => s.auth.session?.accessToken);
  const [open, setOpen] = useState(false);
  const [src, setSrc] = useState<string | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!open || !token) return;
    let objectUrl: string | null = null;
    let live = true;
    void fetch(url, { headers: { authorization: `Bearer ${token}` } })
      .then(async (r) => {
        if (!r.ok) throw new Error(String(r.status));
        objectUrl = URL.createObjectURL(await r.blob());
        if (live) setSrc(objectUrl);
      })
      .catch(() => live && setFailed(true));
    return () => {
      live = false;
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      setSrc(null);
      setFailed(false);
    };
  }, [open, url, token]);
  return (
    <>
      <Button size="sm" onClick={() => setOpen(true)} data-testid="snapshot-open">
        {t('printers.camera')}
      </Button>
      <Modal open={open} onOpenChange={setOpen} title={t('printers.cameraOf', { name })}>
        {failed ? (
          <Alert>{t('printers.cameraFailed')}</Alert>
        ) : src ? (
          // eslint-disable-next-line @next/next/no-img-element
          <img src={src} alt={t('printers.cameraOf', { name })} style={{ maxWidth: '100%' }} data-testid="snapshot" />
        ) : (
          <p className="muted">{t('common.loading')}</p>
        )}
        {takenAt && <p className="muted">{t('printers.takenAt', { at: f.dateTime(takenAt) })}</p>}
      </Modal>
    </>
  );
}
