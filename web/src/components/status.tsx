'use client';
import type { JobState, OrderStatus, PrinterStatus } from '@/lib/graphql/generated';
import { useT } from '@/lib/i18n';
import { Badge, type Tone } from './ui/basics';

export const PRINTER_STATUSES = [
  'IDLE',
  'PRINTING',
  'PAUSED',
  'NEEDS_BED_CLEARING',
  'ERROR',
  'OFFLINE',
  'MAINTENANCE',
] as const satisfies readonly PrinterStatus[];

export const ORDER_STATUSES = [
  'DRAFT',
  'PLACED',
  'PAID',
  'IN_PRODUCTION',
  'READY',
  'SHIPPED',
  'DELIVERED',
  'CANCELLED',
  'REFUNDED',
] as const satisfies readonly OrderStatus[];

export const JOB_STATES = [
  'QUEUED',
  'SCHEDULED',
  'PRINTING',
  'DONE',
  'FAILED',
  'REQUEUED',
  'ABANDONED',
  'CANCELLED',
] as const satisfies readonly JobState[];

const printerTone: Record<PrinterStatus, Tone> = {
  IDLE: 'neutral',
  PRINTING: 'info',
  PAUSED: 'warn',
  NEEDS_BED_CLEARING: 'warn',
  ERROR: 'danger',
  OFFLINE: 'danger',
  MAINTENANCE: 'warn',
};
const orderTone: Record<OrderStatus, Tone> = {
  DRAFT: 'neutral',
  PLACED: 'info',
  PAID: 'info',
  IN_PRODUCTION: 'info',
  READY: 'ok',
  SHIPPED: 'ok',
  DELIVERED: 'ok',
  CANCELLED: 'danger',
  REFUNDED: 'warn',
};
const jobTone: Record<JobState, Tone> = {
  QUEUED: 'neutral',
  SCHEDULED: 'info',
  PRINTING: 'info',
  DONE: 'ok',
  FAILED: 'danger',
  REQUEUED: 'warn',
  ABANDONED: 'danger',
  CANCELLED: 'danger',
};

export function PrinterStatusBadge({ status }: { status: PrinterStatus }) {
  const t = useT();
  return (
    <Badge tone={printerTone[status]} data-testid="printer-status" data-status={status}>
      {t(`printerStatus.${status}`)}
    </Badge>
  );
}

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  const t = useT();
  return (
    <Badge tone={orderTone[status]} data-testid="order-status" data-status={status}>
      {t(`orderStatus.${status}`)}
    </Badge>
  );
}

export function JobStateBadge({ state }: { state: JobState }) {
  const t = useT();
  return (
    <Badge tone={jobTone[state]} data-testid="job-state" data-state={state}>
      {t(`jobState.${state}`)}
    </Badge>
  );
}
