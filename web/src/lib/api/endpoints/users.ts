import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/users';
import { api, req } from '../api';

export const usersApi = api.injectEndpoints({
  endpoints: (b) => ({
    users: b.query<G.UsersQuery, void>({ query: () => req(D.UsersDocument), providesTags: ['Me'] }),
    apiTokens: b.query<G.ApiTokensQuery, void>({ query: () => req(D.ApiTokensDocument), providesTags: ['Me'] }),
    createUser: b.mutation<G.CreateUserMutation, G.CreateUserMutationVariables>({
      query: (v) => req(D.CreateUserDocument, v),
      invalidatesTags: ['Me'],
    }),
    deactivateUser: b.mutation<G.DeactivateUserMutation, G.DeactivateUserMutationVariables>({
      query: (v) => req(D.DeactivateUserDocument, v),
      invalidatesTags: ['Me'],
    }),
    reactivateUser: b.mutation<G.ReactivateUserMutation, G.ReactivateUserMutationVariables>({
      query: (v) => req(D.ReactivateUserDocument, v),
      invalidatesTags: ['Me'],
    }),
    changeRole: b.mutation<G.ChangeRoleMutation, G.ChangeRoleMutationVariables>({
      query: (v) => req(D.ChangeRoleDocument, v),
      invalidatesTags: ['Me'],
    }),
    createApiToken: b.mutation<G.CreateApiTokenMutation, G.CreateApiTokenMutationVariables>({
      query: (v) => req(D.CreateApiTokenDocument, v),
      invalidatesTags: ['Me'],
    }),
    revokeApiToken: b.mutation<G.RevokeApiTokenMutation, G.RevokeApiTokenMutationVariables>({
      query: (v) => req(D.RevokeApiTokenDocument, v),
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
  useChangeRoleMutation,
  useCreateApiTokenMutation,
  useRevokeApiTokenMutation,
} = usersApi;
