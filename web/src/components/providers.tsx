'use client';
import { useEffect, useState, type ReactNode } from 'react';
import { Provider } from 'react-redux';
import { makeStore, messagesLoaded, packLoaded, prefsRestored, type AppStore, type Theme } from '@/lib/store';
import { loadSession, restored } from '@/lib/api/session';
import { LOCALES, loadMessages, loadPack, type Locale } from '@/lib/i18n/messages';
import { useAppDispatch, useAppSelector } from '@/lib/hooks';

const PREFS = 'gantry.prefs';

function Persist() {
  const ui = useAppSelector((s) => s.ui);
  const dispatch = useAppDispatch();
  useEffect(() => {
    if (!ui.loadedLocales.includes(ui.locale)) void loadMessages(ui.locale).then(() => dispatch(messagesLoaded(ui.locale)));
  }, [ui.locale, ui.loadedLocales, dispatch]);
  useEffect(() => {
    for (const p of ui.packs) {
      const k = `${p}:${ui.locale}`;
      if (!ui.loadedPacks.includes(k)) void loadPack(p, ui.locale).then(() => dispatch(packLoaded(k)));
    }
  }, [ui.locale, ui.packs, ui.loadedPacks, dispatch]);
  useEffect(() => {
    if (!ui.restored) return;
    document.documentElement.lang = ui.locale;
    document.documentElement.dataset.theme = ui.theme;
    window.localStorage.setItem(PREFS, JSON.stringify({ locale: ui.locale, theme: ui.theme }));
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
      const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
      const theme: Theme = p.theme === 'dark' || p.theme === 'light' ? p.theme : dark ? 'dark' : 'light';
      store.dispatch(prefsRestored({ locale, theme }));
    } catch {
      store.dispatch(prefsRestored({ locale: 'en', theme: 'light' }));
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
