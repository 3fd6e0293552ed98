import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { UserFieldsFragment } from '@/lib/graphql/generated';

export interface Session {
  accessToken: string;
  refreshToken: string;
  /** RFC 3339 expiry of the access token. */
  expiresAt: string;
  user: UserFieldsFragment;
}

export interface AuthState {
  session: Session | null;
  /** Set when the server ended the session (expired/revoked): the sign-in page says so. */
  expired: boolean;
  /** False until the stored session was read (first client render). */
  restored: boolean;
}

const KEY = 'gantry.session';

export function loadSession(): Session | null {
  if (typeof window === 'undefined') return null;
  try {
    const raw = window.localStorage.getItem(KEY);
    const s = raw ? (JSON.parse(raw) as Session) : null;
    return s && typeof s.refreshToken === 'string' && s.user ? s : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (typeof window === 'undefined') return;
  if (s) window.localStorage.setItem(KEY, JSON.stringify(s));
  else window.localStorage.removeItem(KEY);
}

const initialState: AuthState = { session: null, expired: false, restored: false };

export const authSlice = createSlice({
  name: 'auth',
  initialState,
  reducers: {
    restored(state, a: PayloadAction<Session | null>) {
      state.session = a.payload;
      state.restored = true;
    },
    signedIn(state, a: PayloadAction<Session>) {
      state.session = a.payload;
      state.expired = false;
      state.restored = true;
    },
    signedOut(state) {
      state.session = null;
      state.expired = false;
    },
    sessionExpired(state) {
      state.session = null;
      state.expired = true;
    },
  },
});

export const { restored, signedIn, signedOut, sessionExpired } = authSlice.actions;

/** Whether the user's role grants a permission (`module:action`). */
export const can = (s: Session | null | undefined, permission: string): boolean =>
  !!s?.user.permissions.includes(permission);
