import * as G from '@/lib/graphql/generated';
import { api, req } from '../api';

export const usersApi = api.injectEndpoints({
  endpoints: (b) => ({
    users: b.query<G.UsersQuery, void>({ query: () => req(G.UsersDocument), providesTags: ['Me'] }),
    apiTokens: b.query<G.ApiTokensQuery, void>({ query: () => req(G.ApiTokensDocument), providesTags: ['Me'] }),
    createUser: b.mutation<G.CreateUserMutation, G.CreateUserMutationVariables>({
      query: (v) => req(G.CreateUserDocument, v),
      invalidatesTags: ['Me'],
    }),
    deactivateUser: b.mutation<G.DeactivateUserMutation, G.DeactivateUserMutationVariables>({
      query: (v) => req(G.DeactivateUserDocument, v),
      invalidatesTags: ['Me'],
    }),
    reactivateUser: b.mutation<G.ReactivateUserMutation, G.ReactivateUserMutationVariables>({
      query: (v) => req(G.ReactivateUserDocument, v),
      invalidatesTags: ['Me'],
    }),
    createApiToken: b.mutation<G.CreateApiTokenMutation, G.CreateApiTokenMutationVariables>({
      query: (v) => req(G.CreateApiTokenDocument, v),
      invalidatesTags: ['Me'],
    }),
    revokeApiToken: b.mutation<G.RevokeApiTokenMutation, G.RevokeApiTokenMutationVariables>({
      query: (v) => req(G.RevokeApiTokenDocument, v),
      invalidatesTags: ['Me'],
    }),
  }),
});

export const {
  useUsersQuery,
  useApiTokensQuery,
  useCreateUserMutation,
  useDeactivateUserMutation,
  useReactivateUserMutation,
  useCreateApiTokenMutation,
  useRevokeApiTokenMutation,
} = usersApi;
