import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/planning';
import { api, req } from '../api';

// Every change re-plans on the server (event `planning.settings_changed`), so the plan is stale.
const changed = ['Planning', 'Plan'] as const;

export const planningApi = api.injectEndpoints({
  endpoints: (b) => ({
    planningSetup: b.query<G.PlanningSetupQuery, void>({
      query: () => req(D.PlanningSetupDocument),
      providesTags: ['Planning', 'Printer'],
    }),
    setPowerCircuit: b.mutation<G.SetPowerCircuitMutation, G.SetPowerCircuitMutationVariables>({
      query: (v) => req(D.SetPowerCircuitDocument, v),
      invalidatesTags: [...changed],
    }),
    deletePowerCircuit: b.mutation<G.DeletePowerCircuitMutation, G.DeletePowerCircuitMutationVariables>({
      query: (v) => req(D.DeletePowerCircuitDocument, v),
      invalidatesTags: [...changed],
    }),
    setPrinterModelPower: b.mutation<G.SetPrinterModelPowerMutation, G.SetPrinterModelPowerMutationVariables>({
      query: (v) => req(D.SetPrinterModelPowerDocument, v),
      invalidatesTags: [...changed],
    }),
    setPlanningSettings: b.mutation<G.SetPlanningSettingsMutation, G.SetPlanningSettingsMutationVariables>({
      query: (v) => req(D.SetPlanningSettingsDocument, v),
      invalidatesTags: [...changed],
    }),
    rushOptions: b.query<G.RushOptionsQuery, void>({
      query: () => req(D.RushOptionsDocument),
      providesTags: ['Product', 'Stock', 'Quote'],
    }),
  }),
});

export const {
  usePlanningSetupQuery,
  useSetPowerCircuitMutation,
  useDeletePowerCircuitMutation,
  useSetPrinterModelPowerMutation,
  useSetPlanningSettingsMutation,
  useRushOptionsQuery,
} = planningApi;
