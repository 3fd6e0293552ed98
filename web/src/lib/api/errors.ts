// Typed errors of the GraphQL API (`extensions.code` / `extensions.reason`, docs/api.md §5),
// plus NETWORK for a request that got no GraphQL answer at all.

export const ERROR_CODES = [
  'VALIDATION',
  'NOT_FOUND',
  'FORBIDDEN',
  'UNAUTHENTICATED',
  'CONFLICT',
  'RATE_LIMITED',
  'INTERNAL',
  'NETWORK',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ApiError {
  code: ErrorCode;
  /** The specific rule, e.g. `AUTH_TOKEN_EXPIRED`, `MODEL_TRUNCATED`, `UPLOAD_TOO_LARGE`. */
  reason: string;
  /** The server's English message (shown only as a detail under the translated text). */
  message: string;
  /** HTTP status when it was not 200. */
  status?: number;
}

interface RawError {
  message?: unknown;
  extensions?: { code?: unknown; reason?: unknown };
}

const isCode = (c: unknown): c is ErrorCode => typeof c === 'string' && (ERROR_CODES as readonly string[]).includes(c);

/** The first error of a GraphQL response, typed. */
export function toApiError(errors: unknown, status?: number): ApiError {
  const first = (Array.isArray(errors) ? errors[0] : undefined) as RawError | undefined;
  const code = isCode(first?.extensions?.code) ? first.extensions.code : status === 413 ? 'VALIDATION' : 'INTERNAL';
  const reason =
    typeof first?.extensions?.reason === 'string'
      ? first.extensions.reason
      : status === 413
        ? 'UPLOAD_TOO_LARGE'
        : code;
  const message = typeof first?.message === 'string' ? first.message : status ? `HTTP ${status}` : 'error';
  return { code, reason, message, ...(status && status !== 200 ? { status } : {}) };
}

export const networkError = (message: string): ApiError => ({ code: 'NETWORK', reason: 'NETWORK', message });

/** The session cannot go on (sign in again). An expired access token is refreshed first. */
export const endsSession = (e: ApiError): boolean => e.code === 'UNAUTHENTICATED' && e.reason !== 'AUTH_INVALID_CREDENTIALS';

/** Narrows RTK Query's `error` to our typed error. */
export function asApiError(e: unknown): ApiError | undefined {
  if (e && typeof e === 'object' && 'code' in e && 'reason' in e && isCode((e as ApiError).code)) return e as ApiError;
  if (e && typeof e === 'object' && 'message' in e) return networkError(String((e as { message: unknown }).message));
  return undefined;
}
