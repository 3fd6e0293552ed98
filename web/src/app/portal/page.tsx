'use client';
import { useState, type DragEvent } from 'react';
import dynamic from 'next/dynamic';
import { Page } from '@/components/shell';
import { useUploadModelMutation } from '@/lib/api/endpoints/quote';
import { modelExtension } from '@/lib/modelFile';
import { useFormat, useT } from '@/lib/i18n';
import { Alert, Badge, Card } from '@/components/ui/basics';
import { ApiErrorView } from '@/components/errors';
import { ModelViewer } from '@/components/model-viewer';

// Prices only follow an upload: their form and table load then, not with the page.
const QuotePrices = dynamic(() => import('@/components/quote-prices').then((m) => m.QuotePrices), { ssr: false });

function Quote() {
  const t = useT();
  const f = useFormat();
  const [file, setFile] = useState<File | null>(null);
  const [refused, setRefused] = useState(false);
  const [over, setOver] = useState(false);
  const [upload, { data, error, isLoading, reset }] = useUploadModelMutation();

  const take = (picked: File | undefined) => {
    if (!picked) return;
    reset();
    if (!modelExtension(picked.name)) {
      setRefused(true);
      setFile(null);
      return;
    }
    setRefused(false);
    setFile(picked);
    void upload({ file: picked });
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    take(e.dataTransfer.files[0]);
  };
  const m = data?.uploadModel;
  return (
    <div className="stack">
      <div
        className="dropzone"
        data-over={over}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        <p>{t('quote.drop')}</p>
        <label className="btn btn-primary">
          {t('quote.choose')}
          <input
            type="file"
            className="sr-only"
            accept=".stl,.3mf,.obj"
            data-testid="model-input"
            onChange={(e) => take(e.target.files?.[0])}
          />
        </label>
        <p className="muted">{t('quote.formats')}</p>
      </div>
      {refused && <Alert>{t('quote.wrongKind')}</Alert>}
      <ApiErrorView error={error} />
      {file && (
        <div className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(300px, 1fr))' }}>
          <Card>
            <h2>{file.name}</h2>
            <ModelViewer file={file} />
          </Card>
          <Card data-testid="analysis">
            <h2>{t('quote.analysis')}</h2>
            {isLoading && <p className="muted">{t('quote.analysing')}</p>}
            {m && (
              <>
                <dl className="kv">
                  <dt>{t('quote.size')}</dt>
                  <dd data-testid="model-size">{m.analysis.sizeMm.map((x) => f.number(x, 1)).join(' × ')} mm</dd>
                  <dt>{t('quote.volume')}</dt>
                  <dd>{f.number(m.analysis.volumeMm3 / 1000, 2)} cm³</dd>
                  <dt>{t('quote.watertight')}</dt>
                  <dd>
                    <Badge tone={m.analysis.closed ? 'ok' : 'warn'}>{t(m.analysis.closed ? 'common.yes' : 'common.no')}</Badge>
                  </dd>
                  <dt>{t('quote.printTime')}</dt>
                  <dd>{t('quote.minutes', { n: m.estimate.printMinutes })}</dd>
                  <dt>{t('quote.fits')}</dt>
                  <dd>
                    {m.fits.length === 0 ? (
                      <Badge tone="danger">{t('quote.fitsNone')}</Badge>
                    ) : (
                      t('quote.fitsCount', { n: m.fits.length, models: [...new Set(m.fits.map((x) => x.printer.model))].join(', ') })
                    )}
                  </dd>
                </dl>
                {m.analysis.warnings.length > 0 && (
                  <ul>
                    {m.analysis.warnings.map((w) => (
                      <li key={w}>
                        <Badge tone="warn">{t('quote.warning')}</Badge> {w}
                      </li>
                    ))}
                  </ul>
                )}
              </>
            )}
          </Card>
        </div>
      )}
      {m && m.fits.length > 0 && <QuotePrices modelId={m.id} />}
    </div>
  );
}

export default function QuotePage() {
  const t = useT();
  return (
    <Page perm="orders:place_own" area="portal">
      <h1>{t('nav.quote')}</h1>
      <Quote />
    </Page>
  );
}
