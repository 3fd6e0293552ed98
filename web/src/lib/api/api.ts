import { createApi } from '@reduxjs/toolkit/query/react';
import type { TypedDocument } from '@/lib/graphql/typed';
import { graphqlBaseQuery } from './baseQuery';
import type { GqlRequest } from './transport';

export const TAGS = ['Me', 'Printer', 'Job', 'Order', 'Stock', 'Spool', 'Plan', 'Quote', 'Product', 'Finance', 'Crm', 'Ticket', 'Webhook', 'Planning', 'Profile'] as const;

export const api = createApi({
  reducerPath: 'api',
  baseQuery: graphqlBaseQuery(),
  tagTypes: TAGS,
  endpoints: () => ({}),
});

/** The request of a typed document (variables checked against the operation). */
export const req = <R, V>(document: TypedDocument<R, V>, variables?: V, files?: Record<string, File>): GqlRequest => ({
  document,
  variables: (variables ?? {}) as Record<string, unknown>,
  ...(files ? { files } : {}),
});
