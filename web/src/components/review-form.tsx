'use client';
import { useState } from 'react';
import { useAddReviewMutation } from '@/lib/api/endpoints/shop';
import { useT } from '@/lib/i18n';
import { Field } from './ui/basics';
import { Button } from './ui/button';
import { Choice } from './ui/choice';
import { ApiErrorView } from './errors';

const RATINGS = ['5', '4', '3', '2', '1'] as const;

/** A customer reviews a product they received (the API refuses others: `REVIEW_NOT_PURCHASED`). */
export function ReviewForm({ productId }: { productId: string }) {
  const t = useT();
  const [add, { isLoading, error, isSuccess }] = useAddReviewMutation();
  const [rating, setRating] = useState<(typeof RATINGS)[number]>('5');
  const [body, setBody] = useState('');
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void add({ productId, rating: Number(rating), body });
      }}
    >
      <h3>{t('review.title')}</h3>
      <div className="field">
        <span className="muted">{t('review.rating')}</span>
        <Choice label={t('review.rating')} value={rating} onChange={setRating} items={RATINGS.map((r) => ({ value: r, label: t('shop.stars', { n: r }) }))} />
      </div>
      <Field label={t('review.body')} id="review-body">
        <textarea id="review-body" className="input" rows={3} maxLength={2000} value={body} onChange={(e) => setBody(e.target.value)} />
      </Field>
      <ApiErrorView error={error} />
      {isSuccess && <p role="status">{t('review.thanks')}</p>}
      <Button type="submit" disabled={isLoading} data-testid="review-submit">
        {t('review.submit')}
      </Button>
    </form>
  );
}
