import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/finance';
import { api, req } from '../api';

export const financeApi = api.injectEndpoints({
  endpoints: (b) => ({
    financeOverview: b.query<G.FinanceOverviewQuery, G.FinanceOverviewQueryVariables>({
      query: (v) => req(D.FinanceOverviewDocument, v),
      providesTags: ['Finance'],
    }),
    orderMargins: b.query<G.OrderMarginsQuery, G.OrderMarginsQueryVariables>({
      query: (v) => req(D.OrderMarginsDocument, v),
      providesTags: ['Finance'],
    }),
    jobCosts: b.query<G.JobCostsQuery, G.JobCostsQueryVariables>({
      query: (v) => req(D.JobCostsDocument, v),
      providesTags: ['Finance'],
    }),
    invoices: b.query<G.InvoicesQuery, G.InvoicesQueryVariables>({
      query: (v) => req(D.InvoicesDocument, v),
      providesTags: ['Finance'],
    }),
    issueInvoice: b.mutation<G.IssueInvoiceMutation, G.IssueInvoiceMutationVariables>({
      query: (v) => req(D.IssueInvoiceDocument, v),
      invalidatesTags: ['Finance'],
    }),
    recordExpense: b.mutation<G.RecordExpenseMutation, { input: G.RecordExpenseMutationVariables['input']; receipt?: File }>({
      query: ({ input, receipt }) => req(D.RecordExpenseDocument, { input }, receipt ? { receipt } : undefined),
      invalidatesTags: ['Finance'],
    }),
    ledgerAccounts: b.query<G.LedgerAccountsQuery, G.LedgerAccountsQueryVariables>({
      query: (v) => req(D.LedgerAccountsDocument, v),
    }),
    postJournalEntry: b.mutation<G.PostJournalEntryMutation, G.PostJournalEntryMutationVariables>({
      query: (v) => req(D.PostJournalEntryDocument, v),
      invalidatesTags: ['Finance'],
    }),
    margins: b.query<G.MarginsQuery, G.MarginsQueryVariables>({
      query: (v) => req(D.MarginsDocument, v),
      providesTags: ['Finance'],
    }),
    cashFlow: b.query<G.CashFlowQuery, G.CashFlowQueryVariables>({
      query: (v) => req(D.CashFlowDocument, v),
      providesTags: ['Finance'],
    }),
  }),
});

export const {
  useFinanceOverviewQuery,
  useOrderMarginsQuery,
  useJobCostsQuery,
  useInvoicesQuery,
  useIssueInvoiceMutation,
  useRecordExpenseMutation,
  useMarginsQuery,
  useCashFlowQuery,
  useLedgerAccountsQuery,
  usePostJournalEntryMutation,
} = financeApi;

/** One-off reads (a file to download), not cached. */
export const { useLazyFinanceCsvQuery, useLazyInvoicePdfQuery } = financeApi.injectEndpoints({
  endpoints: (b) => ({
    financeCsv: b.query<G.FinanceCsvQuery, G.FinanceCsvQueryVariables>({
      query: (v) => req(D.FinanceCsvDocument, v),
      keepUnusedDataFor: 0,
    }),
    invoicePdf: b.query<G.InvoicePdfQuery, G.InvoicePdfQueryVariables>({
      query: (v) => req(D.InvoicePdfDocument, v),
      keepUnusedDataFor: 0,
    }),
  }),
});
