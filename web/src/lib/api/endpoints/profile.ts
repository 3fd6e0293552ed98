import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/profile';
import { api, req } from '../api';

export const profileApi = api.injectEndpoints({
  endpoints: (b) => ({
    myProfile: b.query<G.MyProfileQuery, void>({ query: () => req(D.MyProfileDocument), providesTags: ['Me'] }),
    updateProfile: b.mutation<G.UpdateProfileMutation, G.UpdateProfileMutationVariables>({
      query: (v) => req(D.UpdateProfileDocument, v),
      invalidatesTags: ['Me', 'Crm'],
    }),
  }),
});

export const { useMyProfileQuery, useUpdateProfileMutation } = profileApi;
