import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/shop';
import { api, req } from '../api';

export const shopApi = api.injectEndpoints({
  endpoints: (b) => ({
    catalog: b.query<G.CatalogQuery, void>({ query: () => req(D.CatalogDocument) }),
    product: b.query<G.ProductQuery, G.ProductQueryVariables>({ query: (v) => req(D.ProductDocument, v), providesTags: ['Product'] }),
    addReview: b.mutation<G.AddReviewMutation, G.AddReviewMutationVariables>({
      query: (v) => req(D.AddReviewDocument, v),
      invalidatesTags: ['Product'],
    }),
    cart: b.query<G.CartQuery, void>({ query: () => req(D.CartDocument), providesTags: ['Order'] }),
    createCart: b.mutation<G.CreateCartMutation, G.CreateCartMutationVariables>({
      query: (v) => req(D.CreateCartDocument, v),
      invalidatesTags: ['Order'],
    }),
    addToCart: b.mutation<G.AddToCartMutation, G.AddToCartMutationVariables>({
      query: (v) => req(D.AddToCartDocument, v),
      invalidatesTags: ['Order'],
    }),
    removeFromCart: b.mutation<G.RemoveFromCartMutation, G.RemoveFromCartMutationVariables>({
      query: (v) => req(D.RemoveFromCartDocument, v),
      invalidatesTags: ['Order'],
    }),
  }),
});

export const {
  useCatalogQuery,
  useProductQuery,
  useAddReviewMutation,
  useCartQuery,
  useCreateCartMutation,
  useAddToCartMutation,
  useRemoveFromCartMutation,
} = shopApi;
