'use client';
import { useEffect, useState, type ReactNode } from 'react';
import { Provider } from 'react-redux';
import { makeStore, setLocale, setTheme, type AppStore, type Theme } from '@/lib/store';
import { loadSession, restored } from '@/lib/api/session';
import { LOCALES, type Locale } from '@/lib/i18n/messages';
import { useAppSelector } from '@/lib/hooks';

const PREFS = 'gantry.prefs';

function Persist() {
  const ui = useAppSelector((s) => s.ui);
  useEffect(() => {
    document.documentElement.lang = ui.locale;
    document.documentElement.dataset.theme = ui.theme;
    window.localStorage.setItem(PREFS, JSON.stringify(ui));
  }, [ui]);
  return null;
}

export function Providers({ children }: { children: ReactNode }) {
  const [store] = useState<AppStore>(makeStore);
  useEffect(() => {
    try {
      const p = JSON.parse(window.localStorage.getItem(PREFS) ?? '{}') as { locale?: string; theme?: string };
      const browser = navigator.language?.toLowerCase().startsWith('ru') ? 'ru' : 'en';
      const locale = (LOCALES as readonly string[]).includes(p.locale ?? '') ? (p.locale as Locale) : browser;
      store.dispatch(setLocale(locale));
      const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
      store.dispatch(setTheme(p.theme === 'dark' || p.theme === 'light' ? (p.theme as Theme) : dark ? 'dark' : 'light'));
    } catch {
      /* defaults */
    }
    store.dispatch(restored(loadSession()));
  }, [store]);
  return (
    <Provider store={store}>
      <Persist />
      {children}
    </Provider>
  );
}
