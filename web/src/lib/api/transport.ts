// The HTTP side of the GraphQL client: one POST /graphql, JSON or a multipart upload
// (the GraphQL multipart request spec), answered as data or a typed error.
import { toApiError, networkError, type ApiError } from './errors';

export interface GqlRequest {
  document: string;
  variables?: Record<string, unknown>;
  /** Files by variable name (sent as a multipart request). */
  files?: Record<string, File>;
}

export type GqlResult<T = unknown> = { data: T } | { error: ApiError };

export const GRAPHQL_PATH = '/graphql';

export function buildBody(req: GqlRequest): { body: BodyInit; json: boolean } {
  const files = Object.entries(req.files ?? {});
  if (files.length === 0) {
    return { body: JSON.stringify({ query: req.document, variables: req.variables ?? {} }), json: true };
  }
  const variables: Record<string, unknown> = { ...(req.variables ?? {}) };
  const map: Record<string, string[]> = {};
  files.forEach(([name], i) => {
    variables[name] = null;
    map[String(i)] = [`variables.${name}`];
  });
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: req.document, variables }));
  form.append('map', JSON.stringify(map));
  files.forEach(([, file], i) => form.append(String(i), file, file.name));
  return { body: form, json: false };
}

export async function postGraphql<T>(
  req: GqlRequest,
  token: string | null,
  fetchFn: typeof fetch = fetch,
  signal?: AbortSignal,
): Promise<GqlResult<T>> {
  const { body, json } = buildBody(req);
  const headers: Record<string, string> = {};
  if (json) headers['content-type'] = 'application/json';
  if (token) headers.authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetchFn(GRAPHQL_PATH, { method: 'POST', headers, body, signal });
  } catch (e) {
    return { error: networkError(e instanceof Error ? e.message : String(e)) };
  }
  type Payload = { data?: T | null; errors?: unknown };
  let payload: Payload | null;
  try {
    payload = (await res.json()) as Payload;
  } catch {
    payload = null;
  }
  if (payload?.errors) return { error: toApiError(payload.errors, res.status) };
  if (!res.ok || !payload || payload.data == null) {
    if (res.status === 413) return { error: toApiError(undefined, 413) };
    return { error: networkError(`HTTP ${res.status}`) };
  }
  return { data: payload.data };
}
