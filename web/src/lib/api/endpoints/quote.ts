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
    createQuotes: b.mutation<G.CreateQuotesMutation, G.CreateQuotesMutationVariables>({
      query: (v) => req(D.CreateQuotesDocument, v),
    }),
    createOrderFromQuote: b.mutation<G.CreateOrderFromQuoteMutation, G.CreateOrderFromQuoteMutationVariables>({
      query: (v) => req(D.CreateOrderFromQuoteDocument, v),
      invalidatesTags: ['Order'],
    }),
  }),
});

export const {
  useUploadModelMutation,
  useQuoteMaterialsQuery,
  useCreateQuotesMutation,
  useCreateOrderFromQuoteMutation,
} = quoteApi;

/** A material a quote may use. */
export type QuoteMaterial = G.QuoteMaterialsQuery['quoteMaterials'][number];

/** The materials a quote may use, by code. */
export function quotableMaterials(data: G.QuoteMaterialsQuery | undefined): QuoteMaterial[] {
  return [...(data?.quoteMaterials ?? [])].sort((a, b) => a.code.localeCompare(b.code));
}
