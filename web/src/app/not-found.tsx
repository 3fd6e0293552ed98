'use client';
import Link from 'next/link';
import { Header } from '@/components/shell';
import { homeOf } from '@/components/nav';
import { useSession } from '@/lib/hooks';
import { useT } from '@/lib/i18n';

/** Served by gantry for any path the app does not have (404). */
export default function NotFound() {
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
