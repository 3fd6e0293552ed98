import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/integrations';
import { api, req } from '../api';

export const integrationsApi = api.injectEndpoints({
  endpoints: (b) => ({
    webhooks: b.query<G.WebhooksQuery, void>({ query: () => req(D.WebhooksDocument), providesTags: ['Webhook'] }),
    webhookDeliveries: b.query<G.WebhookDeliveriesQuery, G.WebhookDeliveriesQueryVariables>({
      query: (v) => req(D.WebhookDeliveriesDocument, v),
      providesTags: ['Webhook'],
    }),
    heldInbound: b.query<G.HeldInboundQuery, void>({ query: () => req(D.HeldInboundDocument), providesTags: ['Webhook'] }),
    createWebhookEndpoint: b.mutation<G.CreateWebhookEndpointMutation, G.CreateWebhookEndpointMutationVariables>({
      query: (v) => req(D.CreateWebhookEndpointDocument, v),
      invalidatesTags: ['Webhook'],
    }),
    rotateWebhookSecret: b.mutation<G.RotateWebhookSecretMutation, G.RotateWebhookSecretMutationVariables>({
      query: (v) => req(D.RotateWebhookSecretDocument, v),
      invalidatesTags: ['Webhook'],
    }),
    setWebhookEndpointEnabled: b.mutation<G.SetWebhookEndpointEnabledMutation, G.SetWebhookEndpointEnabledMutationVariables>({
      query: (v) => req(D.SetWebhookEndpointEnabledDocument, v),
      invalidatesTags: ['Webhook'],
    }),
    replayWebhookDelivery: b.mutation<G.ReplayWebhookDeliveryMutation, G.ReplayWebhookDeliveryMutationVariables>({
      query: (v) => req(D.ReplayWebhookDeliveryDocument, v),
      invalidatesTags: ['Webhook'],
    }),
  }),
});

export const {
  useWebhooksQuery,
  useWebhookDeliveriesQuery,
  useHeldInboundQuery,
  useCreateWebhookEndpointMutation,
  useRotateWebhookSecretMutation,
  useSetWebhookEndpointEnabledMutation,
  useReplayWebhookDeliveryMutation,
} = integrationsApi;
