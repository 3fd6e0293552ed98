'use client';
import { useEffect } from 'react';
import { useRouter } from 'next/navigation';
import { useAppSelector } from '@/lib/hooks';
import { homeOf } from '@/components/nav';

/** `/`: to the user's home, or to sign in. */
export default function Home() {
  const { session, restored } = useAppSelector((s) => s.auth);
  const router = useRouter();
  useEffect(() => {
    if (restored) router.replace(homeOf(session));
  }, [restored, session, router]);
  return <main className="page">…</main>;
}
