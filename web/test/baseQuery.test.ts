import { describe, expect, it } from 'vitest';
import { configureStore } from '@reduxjs/toolkit';
import type { BaseQueryApi } from '@reduxjs/toolkit/query';
import { authSlice, signedIn, type Session } from '@/lib/api/session';
import { graphqlBaseQuery } from '@/lib/api/baseQuery';
import { buildBody, postGraphql } from '@/lib/api/transport';
import { toApiError } from '@/lib/api/errors';

const user = { id: '1', email: 'a@b.c', displayName: 'A', role: 'PLANNER' as const, customerId: null, permissions: [] };
const session = (n: number): Session => ({
  accessToken: `access-${n}`,
  refreshToken: `refresh-${n}`,
  expiresAt: new Date(Date.now() + 60_000).toISOString(),
  user,
});

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function setup(handler: (body: { query: string; variables: Record<string, unknown> }, auth: string | null) => Response) {
  const store = configureStore({ reducer: { auth: authSlice.reducer } });
  store.dispatch(signedIn(session(1)));
  const calls: { query: string; auth: string | null }[] = [];
  const fetchFn = (async (_url: string, init: RequestInit) => {
    const body = JSON.parse(String(init.body));
    const auth = (init.headers as Record<string, string>).authorization ?? null;
    calls.push({ query: body.query, auth });
    return handler(body, auth);
  }) as unknown as typeof fetch;
  const api = { getState: store.getState, dispatch: store.dispatch, signal: new AbortController().signal } as unknown as BaseQueryApi;
  return { store, calls, api, bq: graphqlBaseQuery(fetchFn) };
}

const expired = { data: null, errors: [{ message: 'expired', extensions: { code: 'UNAUTHENTICATED', reason: 'AUTH_TOKEN_EXPIRED' } }] };

describe('graphql base query', () => {
  it('refreshes an expired token once and retries', async () => {
    let refreshes = 0;
    const { store, calls, api, bq } = setup((body, auth) => {
      if (body.query.startsWith('mutation Refresh')) {
        refreshes++;
        expect(auth).toBeNull(); // never send the expired token along with refresh
        return json({ data: { refresh: session(2) } });
      }
      return auth === 'Bearer access-2' ? json({ data: { version: '1' } }) : json(expired);
    });
    const [a, b] = await Promise.all([
      bq({ document: 'query A { version }' }, api, {}),
      bq({ document: 'query B { version }' }, api, {}),
    ]);
    expect(a).toEqual({ data: { version: '1' } });
    expect(b).toEqual({ data: { version: '1' } });
    expect(refreshes).toBe(1); // refresh tokens are single-use: concurrent requests share one
    expect(store.getState().auth.session?.accessToken).toBe('access-2');
    expect(calls.filter((c) => c.auth === 'Bearer access-2')).toHaveLength(2);
  });

  it('ends the session when the refresh is refused', async () => {
    const { store, api, bq } = setup((body) =>
      body.query.startsWith('mutation Refresh')
        ? json({ data: null, errors: [{ message: 'reused', extensions: { code: 'UNAUTHENTICATED', reason: 'AUTH_REFRESH_REUSED' } }] })
        : json(expired),
    );
    const r = await bq({ document: 'query A { version }' }, api, {});
    expect(r).toMatchObject({ error: { code: 'UNAUTHENTICATED', reason: 'AUTH_TOKEN_EXPIRED' } });
    expect(store.getState().auth.session).toBeNull();
    expect(store.getState().auth.expired).toBe(true);
  });

  it('returns typed errors and does not retry others', async () => {
    const { calls, api, bq } = setup(() =>
      json({ data: null, errors: [{ message: 'no', extensions: { code: 'CONFLICT', reason: 'ORDER_ILLEGAL_TRANSITION' } }] }),
    );
    const r = await bq({ document: 'mutation P { x }' }, api, {});
    expect(r).toEqual({ error: { code: 'CONFLICT', reason: 'ORDER_ILLEGAL_TRANSITION', message: 'no' } });
    expect(calls).toHaveLength(1);
  });
});

describe('transport', () => {
  it('sends files as a GraphQL multipart request', () => {
    const file = new File(['solid x'], 'cube.stl');
    const { body, json: isJson } = buildBody({ document: 'mutation U($file: Upload!) { x }', variables: {}, files: { file } });
    expect(isJson).toBe(false);
    const form = body as FormData;
    expect(JSON.parse(String(form.get('operations')))).toEqual({ query: 'mutation U($file: Upload!) { x }', variables: { file: null } });
    expect(JSON.parse(String(form.get('map')))).toEqual({ '0': ['variables.file'] });
    expect((form.get('0') as File).name).toBe('cube.stl');
  });

  it('maps a bare 413 to UPLOAD_TOO_LARGE and a failed fetch to NETWORK', async () => {
    const tooBig = (async () => new Response('', { status: 413 })) as unknown as typeof fetch;
    expect(await postGraphql({ document: 'q' }, null, tooBig)).toEqual({
      error: { code: 'VALIDATION', reason: 'UPLOAD_TOO_LARGE', message: 'HTTP 413', status: 413 },
    });
    const down = (async () => {
      throw new TypeError('connection refused');
    }) as unknown as typeof fetch;
    expect(await postGraphql({ document: 'q' }, null, down)).toMatchObject({ error: { code: 'NETWORK' } });
    expect(toApiError([{ message: 'x', extensions: { code: 'WEIRD' } }])).toMatchObject({ code: 'INTERNAL' });
  });
});
