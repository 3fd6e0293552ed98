import * as G from '@/lib/graphql/generated';
import { api, req } from '../api';

export const authApi = api.injectEndpoints({
  endpoints: (b) => ({
    login: b.mutation<G.LoginMutation, G.LoginMutationVariables>({
      query: (v) => req(G.LoginDocument, v),
    }),
    logout: b.mutation<G.LogoutMutation, G.LogoutMutationVariables>({
      query: (v) => req(G.LogoutDocument, v),
    }),
    changePassword: b.mutation<G.ChangePasswordMutation, G.ChangePasswordMutationVariables>({
      query: (v) => req(G.ChangePasswordDocument, v),
    }),
    me: b.query<G.MeQuery, void>({
      query: () => req(G.MeDocument),
      providesTags: ['Me'],
    }),
  }),
});

export const { useLoginMutation, useLogoutMutation, useChangePasswordMutation, useMeQuery } = authApi;
