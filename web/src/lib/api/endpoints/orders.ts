import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/orders';
import { api, req } from '../api';
import { subscribe } from '../live';

type Id = { id: string };
const lifecycle = ['Order', 'Job', 'Plan', 'Printer'] as const;

export const ordersApi = api.injectEndpoints({
  endpoints: (b) => ({
    orders: b.query<G.OrdersQuery, G.OrdersQueryVariables>({
      query: (v) => req(D.OrdersDocument, v),
      providesTags: ['Order'],
      async onCacheEntryAdded(_arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved }) {
        try {
          await cacheDataLoaded;
        } catch {
          return;
        }
        const stop = subscribe(D.OrderStatusChangedDocument, {}, ({ orderStatus: e }) =>
          updateCachedData((d) => {
            const o = d.orders.nodes.find((x) => x.id === e.orderId);
            if (o) o.status = e.status;
          }),
        );
        await cacheEntryRemoved;
        stop();
      },
    }),
    order: b.query<G.OrderQuery, Id>({
      query: (v) => req(D.OrderDocument, v),
      providesTags: (_r, _e, a) => [{ type: 'Order', id: a.id }, 'Job'],
      // Live: the order's status and its jobs' progress.
      async onCacheEntryAdded(arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch }) {
        try {
          await cacheDataLoaded;
        } catch {
          return;
        }
        const stops = [
          subscribe(D.OrderStatusChangedDocument, { orderId: arg.id }, () =>
            dispatch(api.util.invalidateTags([{ type: 'Order', id: arg.id }])),
          ),
          subscribe(D.JobProgressChangedDocument, { orderId: arg.id }, ({ jobProgress: e }) => {
            let missing = false;
            updateCachedData((d) => {
              const j = d.order.jobs.find((x) => x.id === e.jobId);
              if (!j) {
                missing = true;
                return;
              }
              // A new state (e.g. printing on another printer) refetches the order; progress is patched.
              if (j.state !== e.state || (e.printerId ?? j.printerId) !== j.printerId) missing = true;
              j.progressPct = e.progressPct;
            });
            if (missing) dispatch(api.util.invalidateTags([{ type: 'Order', id: arg.id }]));
          }),
        ];
        await cacheEntryRemoved;
        stops.forEach((s) => s());
      },
    }),
    placeOrder: b.mutation<G.PlaceOrderMutation, Id>({ query: (v) => req(D.PlaceOrderDocument, v), invalidatesTags: [...lifecycle] }),
    payOrder: b.mutation<G.PayOrderMutation, Id>({ query: (v) => req(D.PayOrderDocument, v), invalidatesTags: [...lifecycle] }),
    startProduction: b.mutation<G.StartProductionMutation, G.StartProductionMutationVariables>({
      query: (v) => req(D.StartProductionDocument, v),
      invalidatesTags: [...lifecycle],
    }),
    markReady: b.mutation<G.MarkReadyMutation, Id>({ query: (v) => req(D.MarkReadyDocument, v), invalidatesTags: [...lifecycle] }),
    shipOrder: b.mutation<G.ShipOrderMutation, Id>({ query: (v) => req(D.ShipOrderDocument, v), invalidatesTags: [...lifecycle] }),
    deliverOrder: b.mutation<G.DeliverOrderMutation, Id>({ query: (v) => req(D.DeliverOrderDocument, v), invalidatesTags: [...lifecycle] }),
    cancelOrder: b.mutation<G.CancelOrderMutation, G.CancelOrderMutationVariables>({
      query: (v) => req(D.CancelOrderDocument, v),
      invalidatesTags: [...lifecycle],
    }),
    refundOrder: b.mutation<G.RefundOrderMutation, G.RefundOrderMutationVariables>({
      query: (v) => req(D.RefundOrderDocument, v),
      invalidatesTags: [...lifecycle],
    }),
  }),
});

export const {
  useOrdersQuery,
  useOrderQuery,
  usePlaceOrderMutation,
  usePayOrderMutation,
  useStartProductionMutation,
  useMarkReadyMutation,
  useShipOrderMutation,
  useDeliverOrderMutation,
  useCancelOrderMutation,
  useRefundOrderMutation,
} = ordersApi;
