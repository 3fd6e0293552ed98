'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import * as Menu from '@radix-ui/react-dropdown-menu';
import { useEffect, type ReactNode } from 'react';
import { useAppDispatch, useAppSelector, useSession } from '@/lib/hooks';
import { setLocale, setTheme } from '@/lib/store';
import { useT } from '@/lib/i18n';
import type { Locale } from '@/lib/i18n/messages';
import { saveSession, signedOut } from '@/lib/api/session';
import { useLogoutMutation } from '@/lib/api/endpoints/auth';
import { resetLive } from '@/lib/api/live';
import { api } from '@/lib/api/api';
import { Segmented } from './ui/overlays';
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

function UserMenu() {
  const t = useT();
  const s = useSession();
  const dispatch = useAppDispatch();
  const router = useRouter();
  const [logout] = useLogoutMutation();
  if (!s) return null;
  const signOut = async () => {
    await logout({ refreshToken: s.refreshToken }).catch(() => undefined);
    saveSession(null);
    resetLive();
    dispatch(signedOut());
    dispatch(api.util.resetApiState());
    router.push('/login/');
  };
  return (
    <Menu.Root>
      <Menu.Trigger className="btn btn-sm" aria-label={t('nav.userMenu')}>
        <span className="hide-sm">{s.user.displayName}</span>
        <span aria-hidden>☰</span>
      </Menu.Trigger>
      <Menu.Portal>
        <Menu.Content className="menu-content" align="end" sideOffset={4}>
          <Menu.Label className="menu-item muted">
            {s.user.email} · {t(`role.${s.user.role}`)}
          </Menu.Label>
          <Menu.Item className="menu-item" onSelect={() => router.push('/account/')}>
            {t('nav.account')}
          </Menu.Item>
          <Menu.Item className="menu-item" onSelect={() => router.push('/gallery/')}>
            {t('nav.gallery')}
          </Menu.Item>
          <Menu.Item className="menu-item" onSelect={signOut} data-testid="sign-out">
            {t('auth.signOut')}
          </Menu.Item>
        </Menu.Content>
      </Menu.Portal>
    </Menu.Root>
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
export function Page({ perm, children, area }: { perm: string | null; children: ReactNode; area?: 'console' | 'portal' }) {
  const { session, restored } = useAppSelector((s) => s.auth);
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
        {ok ? children : <p className="muted">{restored ? '' : '…'}</p>}
      </main>
    </>
  );
}
