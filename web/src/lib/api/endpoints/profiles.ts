import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/profiles';
import { api, req } from '../api';

export const profilesApi = api.injectEndpoints({
  endpoints: (b) => ({
    profiles: b.query<G.ProfilesQuery, void>({
      query: () => req(D.ProfilesDocument),
      providesTags: ['Profile', 'Printer'],
    }),
    // Quotes and plans made after a change use the new profile.
    setPrinterProfile: b.mutation<G.SetPrinterProfileMutation, G.SetPrinterProfileMutationVariables>({
      query: (v) => req(D.SetPrinterProfileDocument, v),
      invalidatesTags: ['Profile', 'Plan'],
    }),
    setFilamentProfile: b.mutation<G.SetFilamentProfileMutation, G.SetFilamentProfileMutationVariables>({
      query: (v) => req(D.SetFilamentProfileDocument, v),
      invalidatesTags: ['Profile', 'Plan'],
    }),
  }),
});

export const { useProfilesQuery, useSetPrinterProfileMutation, useSetFilamentProfileMutation } = profilesApi;
