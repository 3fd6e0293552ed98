import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/farm';
import { api, req } from '../api';
import { subscribe } from '../live';

export const farmApi = api.injectEndpoints({
  endpoints: (b) => ({
    overview: b.query<G.OverviewQuery, void>({
      query: () => req(D.OverviewDocument),
      providesTags: ['Printer', 'Job', 'Stock'],
      async onCacheEntryAdded(_arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved }) {
        try {
          await cacheDataLoaded;
        } catch {
          return;
        }
        const stop = subscribe(D.PrinterStatusChangedDocument, {}, ({ printerStatus: e }) =>
          updateCachedData((d) => {
            const p = d.printers.find((x) => x.id === e.printerId);
            if (p) p.status = e.status;
          }),
        );
        await cacheEntryRemoved;
        stop();
      },
    }),
    printers: b.query<G.PrintersQuery, void>({
      query: () => req(D.PrintersDocument),
      providesTags: ['Printer', 'Job'],
      // Live: printer status events patch the cached list; an event naming a job we do not
      // hold yet refetches it.
      async onCacheEntryAdded(_arg, { updateCachedData, cacheDataLoaded, cacheEntryRemoved, dispatch }) {
        try {
          await cacheDataLoaded;
        } catch {
          return;
        }
        const stop = subscribe(D.PrinterStatusChangedDocument, {}, ({ printerStatus: e }) => {
          let missing = false;
          updateCachedData((d) => {
            const p = d.printers.find((x) => x.id === e.printerId);
            if (!p) {
              missing = true;
              return;
            }
            p.status = e.status;
            if (e.jobId) {
              const j = d.printing.nodes.find((x) => x.id === e.jobId);
              if (j) {
                if (e.progressPct != null) j.progressPct = e.progressPct;
                j.printerId = e.printerId;
              } else if (e.status === 'PRINTING' || e.status === 'PAUSED') missing = true;
            }
          });
          if (missing) dispatch(api.util.invalidateTags(['Printer']));
        });
        // Temperatures, layers and printer errors, at most one update per printer every 2 s.
        const stopTelemetry = subscribe(D.PrinterTelemetryDocument, {}, ({ printerTelemetry: e }) => {
          updateCachedData((d) => {
            const p = d.printers.find((x) => x.id === e.printerId);
            if (p) p.telemetry = e;
          });
        });
        await cacheEntryRemoved;
        stopTelemetry();
        stop();
      },
    }),
    pausePrint: b.mutation<G.PausePrintMutation, G.PausePrintMutationVariables>({
      query: (v) => req(D.PausePrintDocument, v),
      invalidatesTags: ['Printer', 'Job'],
    }),
    resumePrint: b.mutation<G.ResumePrintMutation, G.ResumePrintMutationVariables>({
      query: (v) => req(D.ResumePrintDocument, v),
      invalidatesTags: ['Printer', 'Job'],
    }),
    cancelPrint: b.mutation<G.CancelPrintMutation, G.CancelPrintMutationVariables>({
      query: (v) => req(D.CancelPrintDocument, v),
      invalidatesTags: ['Printer', 'Job', 'Plan'],
    }),
    planWindows: b.query<G.PlanWindowsQuery, G.PlanWindowsQueryVariables>({
      query: (v) => req(D.PlanWindowsDocument, v),
      providesTags: ['Plan'],
    }),
    plan: b.query<G.PlanQuery, G.PlanQueryVariables>({
      query: (v) => req(D.PlanDocument, v),
      providesTags: ['Plan'],
      async onCacheEntryAdded(_arg, { cacheDataLoaded, cacheEntryRemoved, dispatch }) {
        try {
          await cacheDataLoaded;
        } catch {
          return;
        }
        const stop = subscribe(D.PlanChangedDocument, {}, () => dispatch(api.util.invalidateTags(['Plan'])));
        await cacheEntryRemoved;
        stop();
      },
    }),
    // Not cached across visits: each ask is a fresh solve of the farm as it is now.
    planWhatIf: b.query<G.PlanWhatIfQuery, G.PlanWhatIfQueryVariables>({
      query: (v) => req(D.PlanWhatIfDocument, v),
      keepUnusedDataFor: 0,
    }),
    jobs: b.query<G.JobsQuery, G.JobsQueryVariables>({
      query: (v) => req(D.JobsDocument, v),
      providesTags: ['Job'],
    }),
    requeueJob: b.mutation<G.RequeueJobMutation, G.RequeueJobMutationVariables>({
      query: (v) => req(D.RequeueJobDocument, v),
      invalidatesTags: ['Job', 'Plan', 'Order'],
    }),
    cancelJob: b.mutation<G.CancelJobMutation, G.CancelJobMutationVariables>({
      query: (v) => req(D.CancelJobDocument, v),
      invalidatesTags: ['Job', 'Plan', 'Order'],
    }),
    unpinJob: b.mutation<G.UnpinJobMutation, G.UnpinJobMutationVariables>({
      query: (v) => req(D.UnpinJobDocument, v),
      invalidatesTags: ['Plan', 'Job'],
    }),
    setOperatorShifts: b.mutation<G.SetOperatorShiftsMutation, G.SetOperatorShiftsMutationVariables>({
      query: (v) => req(D.SetOperatorShiftsDocument, v),
      invalidatesTags: ['Plan'],
    }),
    scheduleJob: b.mutation<G.ScheduleJobMutation, G.ScheduleJobMutationVariables>({
      query: (v) => req(D.ScheduleJobDocument, v),
      invalidatesTags: ['Plan', 'Job', 'Order'],
    }),
    setJobPriority: b.mutation<G.SetJobPriorityMutation, G.SetJobPriorityMutationVariables>({
      query: (v) => req(D.SetJobPriorityDocument, v),
      invalidatesTags: ['Job', 'Plan'],
    }),
    replanNow: b.mutation<G.ReplanNowMutation, G.ReplanNowMutationVariables>({
      query: (v) => req(D.ReplanNowDocument, v),
      invalidatesTags: ['Plan', 'Job', 'Printer'],
    }),
  }),
});

export const {
  useOverviewQuery,
  usePrintersQuery,
  usePausePrintMutation,
  useResumePrintMutation,
  useCancelPrintMutation,
  usePlanQuery,
  usePlanWindowsQuery,
  useReplanNowMutation,
  useLazyPlanWhatIfQuery,
  useJobsQuery,
  useRequeueJobMutation,
  useCancelJobMutation,
  useScheduleJobMutation,
  useUnpinJobMutation,
  useSetOperatorShiftsMutation,
  useSetJobPriorityMutation,
} = farmApi;
