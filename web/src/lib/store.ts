import { configureStore, createSlice, type PayloadAction } from '@reduxjs/toolkit';
import { api } from './api/api';
import { authSlice, type Session } from './api/session';
import { REFRESH_MARGIN_MS, refreshSession } from './api/baseQuery';
import { configureLive } from './api/live';
import type { Locale, Pack } from './i18n/messages';

export type Theme = 'light' | 'dark';

const uiSlice = createSlice({
  name: 'ui',
  // `restored`: the remembered preferences were read (nothing is saved before that).
  // `packs`: message packs pages asked for; `loadedPacks`: `pack:locale` pairs that arrived.
  initialState: {
    locale: 'en' as Locale,
    theme: 'light' as Theme,
    restored: false,
    loadedLocales: ['en'] as Locale[],
    packs: [] as Pack[],
    loadedPacks: [] as string[],
  },
  reducers: {
    setLocale(s, a: PayloadAction<Locale>) {
      s.locale = a.payload;
    },
    setTheme(s, a: PayloadAction<Theme>) {
      s.theme = a.payload;
    },
    messagesLoaded(s, a: PayloadAction<Locale>) {
      if (!s.loadedLocales.includes(a.payload)) s.loadedLocales.push(a.payload);
    },
    wantPack(s, a: PayloadAction<Pack>) {
      if (!s.packs.includes(a.payload)) s.packs.push(a.payload);
    },
    packLoaded(s, a: PayloadAction<string>) {
      if (!s.loadedPacks.includes(a.payload)) s.loadedPacks.push(a.payload);
    },
    prefsRestored(s, a: PayloadAction<{ locale: Locale; theme: Theme }>) {
      s.locale = a.payload.locale;
      s.theme = a.payload.theme;
      s.restored = true;
    },
  },
});
export const { setLocale, setTheme, prefsRestored, messagesLoaded, wantPack, packLoaded } = uiSlice.actions;

export function makeStore() {
  const store = configureStore({
    reducer: { [api.reducerPath]: api.reducer, auth: authSlice.reducer, ui: uiSlice.reducer },
    middleware: (gdm) => gdm().concat(api.middleware),
  });
  configureLive({
    token: async () => {
      let s: Session | null = store.getState().auth.session;
      if (s && Date.parse(s.expiresAt) - Date.now() < REFRESH_MARGIN_MS) {
        s = await refreshSession(store.getState, store.dispatch);
      }
      return s?.accessToken ?? null;
    },
    reconnected: () => store.dispatch(api.util.invalidateTags(['Printer', 'Job', 'Order', 'Plan'])),
  });
  return store;
}

export type AppStore = ReturnType<typeof makeStore>;
export type RootState = ReturnType<AppStore['getState']>;
export type AppDispatch = AppStore['dispatch'];
