'use client';
import { asApiError } from '@/lib/api/errors';
import { errorText, useT } from '@/lib/i18n';
import { Alert } from './ui/basics';

/** A translated message for an API error (never a blank page); the server's text as a detail. */
export function ApiErrorView({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const e = asApiError(error);
  if (!e) return <Alert>{t('error.INTERNAL')}</Alert>;
  return (
    <Alert>
      <span data-testid="error-text" data-reason={e.reason}>
        {errorText(t, e)}
      </span>
      <small>
        {e.code} · {e.reason}
      </small>
    </Alert>
  );
}
