// RTK Query base query over our GraphQL transport: bearer token from the session, and on an
// expired access token one refresh (shared by concurrent requests: refresh tokens are
// single-use) and one retry. A session the server ended signs the user out.
import type { BaseQueryFn } from '@reduxjs/toolkit/query';
import type { RefreshMutation } from '@/lib/graphql/generated';
import { RefreshDocument } from '@/lib/graphql/documents/auth';
import { endsSession, type ApiError } from './errors';
import { postGraphql, type GqlRequest } from './transport';
import { saveSession, sessionExpired, signedIn, type AuthState, type Session } from './session';

type State = { auth: AuthState };
type Dispatch = (a: unknown) => unknown;

let refreshing: Promise<Session | null> | null = null;

/** Exchanges the refresh token once, however many requests ask at the same time. */
export function refreshSession(getState: () => unknown, dispatch: Dispatch, fetchFn: typeof fetch = fetch) {
  if (!refreshing) {
    const current = (getState() as State).auth.session;
    refreshing = (async () => {
      if (!current) return null;
      const r = await postGraphql<RefreshMutation>(
        { document: RefreshDocument, variables: { refreshToken: current.refreshToken } },
        null,
        fetchFn,
      );
      if ('error' in r) {
        if (r.error.code === 'NETWORK') return null; // keep the session; try again later
        saveSession(null);
        dispatch(sessionExpired());
        return null;
      }
      const s: Session = { ...r.data.refresh };
      saveSession(s);
      dispatch(signedIn(s));
      return s;
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Seconds of validity below which a token is refreshed before use (subscriptions). */
export const REFRESH_MARGIN_MS = 30_000;

export const graphqlBaseQuery =
  (fetchFn?: typeof fetch): BaseQueryFn<GqlRequest, unknown, ApiError> =>
  async (req, api) => {
    const f = fetchFn ?? fetch;
    const token = (api.getState() as State).auth.session?.accessToken ?? null;
    const first = await postGraphql(req, token, f, api.signal);
    if (!('error' in first)) return { data: first.data };
    if (token && first.error.reason === 'AUTH_TOKEN_EXPIRED') {
      const fresh = await refreshSession(api.getState, api.dispatch, f);
      if (fresh) {
        const again = await postGraphql(req, fresh.accessToken, f, api.signal);
        return 'error' in again ? { error: again.error } : { data: again.data };
      }
    } else if (token && endsSession(first.error)) {
      saveSession(null);
      api.dispatch(sessionExpired());
    }
    return { error: first.error };
  };
