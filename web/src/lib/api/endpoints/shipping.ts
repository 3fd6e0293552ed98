import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/shipping';
import { api, req } from '../api';

export const shippingApi = api.injectEndpoints({
  endpoints: (b) => ({
    shipments: b.query<G.ShipmentsQuery, G.ShipmentsQueryVariables>({
      query: (v) => req(D.ShipmentsDocument, v),
      providesTags: ['Order'],
    }),
    packingSlip: b.query<G.PackingSlipQuery, G.PackingSlipQueryVariables>({
      query: (v) => req(D.PackingSlipDocument, v),
      keepUnusedDataFor: 0,
    }),
    createShipment: b.mutation<G.CreateShipmentMutation, G.CreateShipmentMutationVariables>({
      query: (v) => req(D.CreateShipmentDocument, v),
      invalidatesTags: ['Order'],
    }),
    setShipmentStatus: b.mutation<G.SetShipmentStatusMutation, G.SetShipmentStatusMutationVariables>({
      query: (v) => req(D.SetShipmentStatusDocument, v),
      invalidatesTags: ['Order'],
    }),
  }),
});

export const { useShipmentsQuery, useLazyPackingSlipQuery, useCreateShipmentMutation, useSetShipmentStatusMutation } = shippingApi;
