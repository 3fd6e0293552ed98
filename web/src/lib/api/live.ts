// GraphQL subscriptions over graphql-ws (`/graphql`, graphql-transport-ws). The token goes in
// `connection_init` (a fresh one on every connect); after a reconnect the caches are refetched,
// because events sent while we were away are not replayed (docs/api.md §7).
import { createClient, type Client } from 'graphql-ws';
import type { TypedDocument } from '@/lib/graphql/typed';

export interface LiveConfig {
  /** A valid access token (refreshed first when about to expire), or null. */
  token: () => Promise<string | null>;
  /** Called after every connection but the first: refetch what may have been missed. */
  reconnected: () => void;
  url?: string;
}

let config: LiveConfig | null = null;
let client: Client | null = null;

export function configureLive(c: LiveConfig): void {
  config = c;
}

function wsUrl(): string {
  if (config?.url) return config.url;
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

function getClient(): Client {
  if (client) return client;
  const cfg = config;
  if (!cfg) throw new Error('live updates are not configured');
  let connectedBefore = false;
  client = createClient({
    url: wsUrl(),
    lazy: true,
    retryAttempts: Infinity,
    shouldRetry: () => true,
    connectionParams: async () => {
      const t = await cfg.token();
      return t ? { authorization: `Bearer ${t}` } : {};
    },
    on: {
      connected: () => {
        if (connectedBefore) cfg.reconnected();
        connectedBefore = true;
      },
    },
  });
  return client;
}

/** Ends the connection (sign-out, or another user signed in). */
export function resetLive(): void {
  void client?.dispose();
  client = null;
}

/** Subscribes; returns the function that ends the subscription. */
export function subscribe<R, V>(
  document: TypedDocument<R, V>,
  variables: V,
  onData: (data: R) => void,
): () => void {
  if (typeof window === 'undefined') return () => {};
  return getClient().subscribe<R>(
    { query: document, variables: variables as Record<string, unknown> },
    {
      next: (msg) => {
        if (msg.data) onData(msg.data as R);
      },
      error: () => {},
      complete: () => {},
    },
  );
}
