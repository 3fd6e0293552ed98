import type * as G from '@/lib/graphql/generated';
import * as D from '@/lib/graphql/documents/crm';
import { api, req } from '../api';

export const crmApi = api.injectEndpoints({
  endpoints: (b) => ({
    customers: b.query<G.CustomersQuery, G.CustomersQueryVariables>({
      query: (v) => req(D.CustomersDocument, v),
      providesTags: ['Crm'],
    }),
    customerPage: b.query<G.CustomerPageQuery, G.CustomerPageQueryVariables>({
      query: (v) => req(D.CustomerPageDocument, v),
      providesTags: ['Crm', 'Ticket', 'Order'],
    }),
    createCustomer: b.mutation<G.CreateCustomerMutation, G.CreateCustomerMutationVariables>({
      query: (v) => req(D.CreateCustomerDocument, v),
      invalidatesTags: ['Crm'],
    }),
    leads: b.query<G.LeadsQuery, G.LeadsQueryVariables>({ query: (v) => req(D.LeadsDocument, v), providesTags: ['Crm'] }),
    createLead: b.mutation<G.CreateLeadMutation, G.CreateLeadMutationVariables>({
      query: (v) => req(D.CreateLeadDocument, v),
      invalidatesTags: ['Crm'],
    }),
    setLeadStatus: b.mutation<G.SetLeadStatusMutation, G.SetLeadStatusMutationVariables>({
      query: (v) => req(D.SetLeadStatusDocument, v),
      invalidatesTags: ['Crm'],
    }),
    convertLead: b.mutation<G.ConvertLeadMutation, G.ConvertLeadMutationVariables>({
      query: (v) => req(D.ConvertLeadDocument, v),
      invalidatesTags: ['Crm'],
    }),
    deals: b.query<G.DealsQuery, G.DealsQueryVariables>({ query: (v) => req(D.DealsDocument, v), providesTags: ['Crm'] }),
    createDeal: b.mutation<G.CreateDealMutation, G.CreateDealMutationVariables>({
      query: (v) => req(D.CreateDealDocument, v),
      invalidatesTags: ['Crm'],
    }),
    moveDeal: b.mutation<G.MoveDealMutation, G.MoveDealMutationVariables>({
      query: (v) => req(D.MoveDealDocument, v),
      invalidatesTags: ['Crm'],
    }),
    winDeal: b.mutation<G.WinDealMutation, G.WinDealMutationVariables>({
      query: (v) => req(D.WinDealDocument, v),
      invalidatesTags: ['Crm'],
    }),
    openTasks: b.query<G.OpenTasksQuery, G.OpenTasksQueryVariables>({
      query: (v) => req(D.OpenTasksDocument, v),
      providesTags: ['Crm'],
    }),
    logTask: b.mutation<G.LogTaskMutation, G.LogTaskMutationVariables>({
      query: (v) => req(D.LogTaskDocument, v),
      invalidatesTags: ['Crm'],
    }),
    completeTask: b.mutation<G.CompleteTaskMutation, G.CompleteTaskMutationVariables>({
      query: (v) => req(D.CompleteTaskDocument, v),
      invalidatesTags: ['Crm'],
    }),
    tickets: b.query<G.TicketsQuery, G.TicketsQueryVariables>({
      query: (v) => req(D.TicketsDocument, v),
      providesTags: ['Ticket'],
    }),
    ticket: b.query<G.TicketQuery, G.TicketQueryVariables>({
      query: (v) => req(D.TicketDocument, v),
      providesTags: (_r, _e, a) => [{ type: 'Ticket', id: a.id }],
    }),
    openTicket: b.mutation<G.OpenTicketMutation, G.OpenTicketMutationVariables>({
      query: (v) => req(D.OpenTicketDocument, v),
      invalidatesTags: ['Ticket'],
    }),
    replyToTicket: b.mutation<G.ReplyToTicketMutation, G.ReplyToTicketMutationVariables>({
      query: (v) => req(D.ReplyToTicketDocument, v),
      invalidatesTags: ['Ticket'],
    }),
    setTicketStatus: b.mutation<G.SetTicketStatusMutation, G.SetTicketStatusMutationVariables>({
      query: (v) => req(D.SetTicketStatusDocument, v),
      invalidatesTags: ['Ticket'],
    }),
  }),
});

export const {
  useCustomersQuery,
  useCustomerPageQuery,
  useCreateCustomerMutation,
  useLeadsQuery,
  useCreateLeadMutation,
  useSetLeadStatusMutation,
  useConvertLeadMutation,
  useDealsQuery,
  useCreateDealMutation,
  useMoveDealMutation,
  useWinDealMutation,
  useOpenTasksQuery,
  useLogTaskMutation,
  useCompleteTaskMutation,
  useTicketsQuery,
  useTicketQuery,
  useOpenTicketMutation,
  useReplyToTicketMutation,
  useSetTicketStatusMutation,
} = crmApi;
