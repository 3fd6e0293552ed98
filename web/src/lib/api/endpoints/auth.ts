import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/auth';
import { api, req } from '../api';

export const authApi = api.injectEndpoints({
  endpoints: (b) => ({
    login: b.mutation<G.LoginMutation, G.LoginMutationVariables>({
      query: (v) => req(D.LoginDocument, v),
    }),
    signUp: b.mutation<G.SignUpMutation, G.SignUpMutationVariables>({
      query: (v) => req(D.SignUpDocument, v),
    }),
    logout: b.mutation<G.LogoutMutation, G.LogoutMutationVariables>({
      query: (v) => req(D.LogoutDocument, v),
    }),
    changePassword: b.mutation<G.ChangePasswordMutation, G.ChangePasswordMutationVariables>({
      query: (v) => req(D.ChangePasswordDocument, v),
    }),
    me: b.query<G.MeQuery, void>({
      query: () => req(D.MeDocument),
      providesTags: ['Me'],
    }),
  }),
});

export const { useLoginMutation, useSignUpMutation, useLogoutMutation, useChangePasswordMutation, useMeQuery } = authApi;
