'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { Suspense, useEffect, useRef, useState, type ReactNode } from 'react';
import { useAppDispatch, useAppSelector, useSession } from '@/lib/hooks';
import { setLocale, setTheme, wantPack } from '@/lib/store';
import { useT } from '@/lib/i18n';
import type { Locale, Pack } from '@/lib/i18n/messages';
import { saveSession, signedOut } from '@/lib/api/session';
import { useLogoutMutation } from '@/lib/api/endpoints/auth';
import { resetLive } from '@/lib/api/live';
import { api } from '@/lib/api/api';
import { Segmented } from './ui/segmented';
import { allowed, homeOf, navFor, isCustomer } from './nav';

export function Prefs() {
  const t = useT();
  const dispatch = useAppDispatch();
  const { locale, theme } = useAppSelector((s) => s.ui);
  return (
    <div className="row">
      <Segmented<Locale>
        label={t('prefs.language')}
        value={locale}
        onChange={(l) => dispatch(setLocale(l))}
        items={[
          { value: 'en', label: 'EN' },
          { value: 'ru', label: 'RU' },
        ]}
      />
      <Segmented
        label={t('prefs.theme')}
        value={theme}
        onChange={(v) => dispatch(setTheme(v))}
        items={[
          { value: 'light', label: t('prefs.light') },
          { value: 'dark', label: t('prefs.dark') },
        ]}
      />
    </div>
  );
}

/** The account menu: a disclosure (button + panel), closed by Escape or a click outside. */
function UserMenu() {
  const t = useT();
  const s = useSession();
  const dispatch = useAppDispatch();
  const router = useRouter();
  const [logout] = useLogoutMutation();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (e instanceof KeyboardEvent ? e.key === 'Escape' : !box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', close);
    document.addEventListener('pointerdown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('pointerdown', close);
    };
  }, [open]);
  if (!s) return null;
  const signOut = async () => {
    setOpen(false);
    await logout({ refreshToken: s.refreshToken }).catch(() => undefined);
    saveSession(null);
    resetLive();
    dispatch(signedOut());
    dispatch(api.util.resetApiState());
    router.push('/login/');
  };
  return (
    <div className="menu" ref={box}>
      <button type="button" className="btn btn-sm" aria-expanded={open} aria-controls="user-menu" onClick={() => setOpen(!open)}>
        <span className="hide-sm">{s.user.displayName}</span>
        <span aria-hidden>☰</span>
        <span className="sr-only">{t('nav.userMenu')}</span>
      </button>
      {open && (
        <div className="menu-content menu-panel" id="user-menu">
          <div className="menu-item muted">
            {s.user.email} · {t(`role.${s.user.role}`)}
          </div>
          <Link className="menu-item" href="/account/" onClick={() => setOpen(false)}>
            {t('nav.account')}
          </Link>
          <Link className="menu-item" href="/gallery/" onClick={() => setOpen(false)}>
            {t('nav.gallery')}
          </Link>
          <button type="button" className="menu-item" onClick={signOut} data-testid="sign-out">
            {t('auth.signOut')}
          </button>
        </div>
      )}
    </div>
  );
}

export function Header() {
  const t = useT();
  const s = useSession();
  const path = usePathname();
  return (
    <header className="shell-header">
      <Link href={homeOf(s)} className="brand">
        Gantry
      </Link>
      <nav className="nav" aria-label={t('nav.main')}>
        {navFor(s).map((i) => (
          <Link key={i.href} href={i.href} aria-current={path === i.href ? 'page' : undefined}>
            {t(i.label)}
          </Link>
        ))}
      </nav>
      <div className="shell-tools">
        <Prefs />
        <UserMenu />
      </div>
    </header>
  );
}

/**
 * A page for signed-in users holding `perm` (null: any signed-in user). Without a session the
 * user goes to sign in (and comes back after); without the permission to their own home.
 * The API refuses such callers anyway: this only keeps them off screens they cannot use.
 */
export function Page({
  perm,
  children,
  area,
  pack,
}: {
  perm: string | null;
  children: ReactNode;
  area?: 'console' | 'portal';
  /** A message pack the page's content needs (shown once it arrived). */
  pack?: Pack;
}) {
  const { session, restored } = useAppSelector((s) => s.auth);
  const dispatch = useAppDispatch();
  const packReady = useAppSelector((s) => !pack || s.ui.loadedPacks.includes(`${pack}:${s.ui.locale}`));
  useEffect(() => {
    if (pack) dispatch(wantPack(pack));
  }, [pack, dispatch]);
  const router = useRouter();
  const path = usePathname();
  const ok =
    !!session && allowed(session, { perm }) && !(area === 'console' && isCustomer(session)) && !(area === 'portal' && !isCustomer(session) && perm !== null);
  useEffect(() => {
    if (!restored) return;
    if (!session) {
      const next = path + window.location.search;
      router.replace(`/login/?next=${encodeURIComponent(next)}`);
    } else if (!ok) router.replace(homeOf(session));
  }, [restored, session, ok, path, router]);
  return (
    <>
      <Header />
      <main className="page" id="main">
        {ok && packReady ? children : <p className="muted">{restored && !ok ? '' : '…'}</p>}
      </main>
    </>
  );
}

/** A page for signed-out visitors (sign in, sign up): language and theme switches, then the form. */
export function SignedOutPage({ children }: { children: ReactNode }) {
  return (
    <main className="page">
      <div className="row" style={{ justifyContent: 'flex-end' }}>
        <Prefs />
      </div>
      <Suspense>{children}</Suspense>
    </main>
  );
}
