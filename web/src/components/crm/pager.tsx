'use client';
import { useState } from 'react';
import { useT } from '@/lib/i18n';
import { Button } from '@/components/ui/button';

/** Rows per page of the CRM lists (the API pages them by key: `first`/`after`). */
export const CRM_PAGE = 50;

/** The cursors of the pages seen so far: the last is the page shown (`null`: the first). */
export function useCursors() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  return {
    after: cursors[cursors.length - 1],
    cursors,
    setCursors,
    reset: () => setCursors([null]),
  };
}

/** Previous / next page buttons of a connection. */
export function Pager({
  pages,
  pageInfo,
}: {
  pages: ReturnType<typeof useCursors>;
  pageInfo: { hasNextPage: boolean; endCursor?: string | null } | undefined;
}) {
  const t = useT();
  if (pages.cursors.length < 2 && !pageInfo?.hasNextPage) return null;
  return (
    <div className="row" data-testid="crm-pager">
      <Button size="sm" disabled={pages.cursors.length < 2} onClick={() => pages.setCursors((c) => c.slice(0, -1))}>
        {t('common.previous')}
      </Button>
      <Button
        size="sm"
        disabled={!pageInfo?.hasNextPage}
        onClick={() => pages.setCursors((c) => [...c, pageInfo?.endCursor ?? null])}
      >
        {t('common.next')}
      </Button>
    </div>
  );
}
