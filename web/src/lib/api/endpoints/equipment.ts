import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/equipment';
import { api, req } from '../api';

const eq = ['Printer', 'Plan'] as const;

export const equipmentApi = api.injectEndpoints({
  endpoints: (b) => ({
    printerDetail: b.query<G.PrinterDetailQuery, G.PrinterDetailQueryVariables>({
      query: (v) => req(D.PrinterDetailDocument, v),
      providesTags: ['Printer'],
    }),
    printerHistory: b.query<G.PrinterHistoryQuery, G.PrinterHistoryQueryVariables>({
      query: (v) => req(D.PrinterHistoryDocument, v),
      keepUnusedDataFor: 30,
    }),
    printerTokens: b.query<G.PrinterTokensQuery, G.PrinterTokensQueryVariables>({
      query: (v) => req(D.PrinterTokensDocument, v),
      providesTags: ['Printer'],
    }),
    updatePrinter: b.mutation<G.UpdatePrinterMutation, G.UpdatePrinterMutationVariables>({
      query: (v) => req(D.UpdatePrinterDocument, v),
      invalidatesTags: [...eq],
    }),
    retirePrinter: b.mutation<G.RetirePrinterMutation, G.RetirePrinterMutationVariables>({
      query: (v) => req(D.RetirePrinterDocument, v),
      invalidatesTags: [...eq, 'Job'],
    }),
    createPrinter: b.mutation<G.CreatePrinterMutation, G.CreatePrinterMutationVariables>({
      query: (v) => req(D.CreatePrinterDocument, v),
      invalidatesTags: [...eq],
    }),
    setPrinterStatus: b.mutation<G.SetPrinterStatusMutation, G.SetPrinterStatusMutationVariables>({
      query: (v) => req(D.SetPrinterStatusDocument, v),
      invalidatesTags: [...eq],
    }),
    releasePrinterJob: b.mutation<G.ReleasePrinterJobMutation, G.ReleasePrinterJobMutationVariables>({
      query: (v) => req(D.ReleasePrinterJobDocument, v),
      invalidatesTags: [...eq, 'Job', 'Plan'],
    }),
    scheduleMaintenance: b.mutation<G.ScheduleMaintenanceMutation, G.ScheduleMaintenanceMutationVariables>({
      query: (v) => req(D.ScheduleMaintenanceDocument, v),
      invalidatesTags: [...eq],
    }),
    completeMaintenance: b.mutation<G.CompleteMaintenanceMutation, G.CompleteMaintenanceMutationVariables>({
      query: (v) => req(D.CompleteMaintenanceDocument, v),
      invalidatesTags: [...eq],
    }),
    cancelMaintenanceWindow: b.mutation<G.CancelMaintenanceWindowMutation, G.CancelMaintenanceWindowMutationVariables>({
      query: (v) => req(D.CancelMaintenanceWindowDocument, v),
      invalidatesTags: [...eq],
    }),
    loadMaterial: b.mutation<G.LoadMaterialMutation, G.LoadMaterialMutationVariables>({
      query: (v) => req(D.LoadMaterialDocument, v),
      invalidatesTags: [...eq],
    }),
    createMaintenancePlan: b.mutation<G.CreateMaintenancePlanMutation, G.CreateMaintenancePlanMutationVariables>({
      query: (v) => req(D.CreateMaintenancePlanDocument, v),
      invalidatesTags: [...eq],
    }),
    generateMaintenanceWindows: b.mutation<G.GenerateMaintenanceWindowsMutation, G.GenerateMaintenanceWindowsMutationVariables>({
      query: (v) => req(D.GenerateMaintenanceWindowsDocument, v),
      invalidatesTags: [...eq],
    }),
    createPrinterToken: b.mutation<G.CreatePrinterTokenMutation, G.CreatePrinterTokenMutationVariables>({
      query: (v) => req(D.CreatePrinterTokenDocument, v),
      invalidatesTags: ['Printer'],
    }),
    revokePrinterToken: b.mutation<G.RevokePrinterTokenMutation, G.RevokePrinterTokenMutationVariables>({
      query: (v) => req(D.RevokePrinterTokenDocument, v),
      invalidatesTags: ['Printer'],
    }),
  }),
});

export const {
  usePrinterDetailQuery,
  usePrinterTokensQuery,
  usePrinterHistoryQuery,
  useCreatePrinterMutation,
  useUpdatePrinterMutation,
  useRetirePrinterMutation,
  useSetPrinterStatusMutation,
  useReleasePrinterJobMutation,
  useScheduleMaintenanceMutation,
  useCompleteMaintenanceMutation,
  useCancelMaintenanceWindowMutation,
  useLoadMaterialMutation,
  useCreateMaintenancePlanMutation,
  useGenerateMaintenanceWindowsMutation,
  useCreatePrinterTokenMutation,
  useRevokePrinterTokenMutation,
} = equipmentApi;
