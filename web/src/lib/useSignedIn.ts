'use client';
import { useRouter, useSearchParams } from 'next/navigation';
import { useAppDispatch } from '@/lib/hooks';
import { type Session, saveSession, signedIn } from '@/lib/api/session';
import { resetLive } from '@/lib/api/live';
import { api } from '@/lib/api/api';
import { homeOf, safeNext } from '@/components/nav';

/**
 * Starts a session from a `login` or `signUp` answer: keeps the tokens, forgets the previous
 * user's cached data and live subscriptions, and goes back where the user came from (`?next=`)
 * or to their home.
 */
export function useSignedIn(): (s: Session) => void {
  const router = useRouter();
  const params = useSearchParams();
  const dispatch = useAppDispatch();
  return (answer: Session) => {
    const s = { ...answer };
    saveSession(s);
    resetLive();
    dispatch(api.util.resetApiState());
    dispatch(signedIn(s));
    router.replace(safeNext(params.get('next')) ?? homeOf(s));
  };
}
