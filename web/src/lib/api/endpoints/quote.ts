import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/quote';
import { api, req } from '../api';

export const quoteApi = api.injectEndpoints({
  endpoints: (b) => ({
    uploadModel: b.mutation<G.UploadModelMutation, { file: File }>({
      query: ({ file }) => req(D.UploadModelDocument, {} as G.UploadModelMutationVariables, { file }),
    }),
    quoteMaterials: b.query<G.QuoteMaterialsQuery, void>({
      query: () => req(D.QuoteMaterialsDocument),
    }),
    createQuote: b.mutation<G.CreateQuoteMutation, G.CreateQuoteMutationVariables>({
      query: (v) => req(D.CreateQuoteDocument, v),
    }),
    createOrderFromQuote: b.mutation<G.CreateOrderFromQuoteMutation, G.CreateOrderFromQuoteMutationVariables>({
      query: (v) => req(D.CreateOrderFromQuoteDocument, v),
      invalidatesTags: ['Order'],
    }),
  }),
});

export const { useUploadModelMutation, useQuoteMaterialsQuery, useCreateQuoteMutation, useCreateOrderFromQuoteMutation } =
  quoteApi;

/** Distinct materials of the catalog's products, by code. */
export function distinctMaterials(data: G.QuoteMaterialsQuery | undefined): G.MaterialFieldsFragment[] {
  const seen = new Map<string, G.MaterialFieldsFragment>();
  for (const p of data?.products.nodes ?? []) {
    const m = p.defaultMaterial;
    if (m && !seen.has(m.id)) seen.set(m.id, m);
  }
  return [...seen.values()].sort((a, b) => a.code.localeCompare(b.code));
}
