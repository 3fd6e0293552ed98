'use client';
import Link from 'next/link';
import { Header } from '@/components/shell';
import { homeOf } from '@/components/nav';
import { useSession } from '@/lib/hooks';
import { useT } from '@/lib/i18n';

/** The 404 page's content (see app/not-found.tsx). */
export function NotFoundPage() {
  const t = useT();
  const s = useSession();
  return (
    <>
      <Header />
      <main className="page">
        <h1>{t('notFound.title')}</h1>
        <p>
          <Link href={homeOf(s)}>{t('notFound.home')}</Link>
        </p>
      </main>
    </>
  );
}
