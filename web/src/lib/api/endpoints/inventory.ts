import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/inventory';
import { api, req } from '../api';

export const inventoryApi = api.injectEndpoints({
  endpoints: (b) => ({
    inventory: b.query<G.InventoryQuery, void>({
      query: () => req(D.InventoryDocument),
      providesTags: ['Stock'],
    }),
    spools: b.query<G.SpoolsQuery, G.SpoolsQueryVariables>({
      query: (v) => req(D.SpoolsDocument, v),
      providesTags: (_r, _e, a) => [{ type: 'Spool', id: a.materialId }, 'Stock'],
    }),
    receiveSpool: b.mutation<G.ReceiveSpoolMutation, G.ReceiveSpoolMutationVariables>({
      query: (v) => req(D.ReceiveSpoolDocument, v),
      invalidatesTags: ['Stock', 'Spool', 'Plan'],
    }),
    adjustSpool: b.mutation<G.AdjustSpoolMutation, G.AdjustSpoolMutationVariables>({
      query: (v) => req(D.AdjustSpoolDocument, v),
      invalidatesTags: ['Stock', 'Spool', 'Plan'],
    }),
    scrapSpool: b.mutation<G.ScrapSpoolMutation, G.ScrapSpoolMutationVariables>({
      query: (v) => req(D.ScrapSpoolDocument, v),
      invalidatesTags: ['Stock', 'Spool', 'Plan'],
    }),
  }),
});

export const {
  useInventoryQuery,
  useSpoolsQuery,
  useReceiveSpoolMutation,
  useAdjustSpoolMutation,
  useScrapSpoolMutation,
} = inventoryApi;
