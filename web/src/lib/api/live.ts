// GraphQL subscriptions over graphql-ws (`/graphql`, graphql-transport-ws). The token goes in
// `connection_init` (a fresh one on every connect); after a reconnect the caches are refetched,
// because events sent while we were away are not replayed (docs/api.md §7).
// The graphql-ws client is loaded with the first subscription (its own chunk): pages that
// subscribe render first and go live a moment later; pages that do not never load it.
import type { Client } from 'graphql-ws';
import type { TypedDocument } from '@/lib/graphql/typed';

export interface LiveConfig {
  /** A valid access token (refreshed first when about to expire), or null. */
  token: () => Promise<string | null>;
  /** Called after every connection but the first: refetch what may have been missed. */
  reconnected: () => void;
  url?: string;
}

let config: LiveConfig | null = null;
let client: Promise<Client> | null = null;

export function configureLive(c: LiveConfig): void {
  config = c;
}

function wsUrl(): string {
  if (config?.url) return config.url;
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/graphql`;
}

function getClient(): Promise<Client> {
  if (client) return client;
  const cfg = config;
  if (!cfg) return Promise.reject(new Error('live updates are not configured'));
  let connectedBefore = false;
  client = import('graphql-ws').then(({ createClient }) =>
    createClient({
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
    }),
  );
  // A chunk that failed to load is asked again by the next subscription.
  client.catch(() => {
    client = null;
  });
  return client;
}

/** Ends the connection (sign-out, or another user signed in). */
export function resetLive(): void {
  void client?.then((c) => c.dispose()).catch(() => {});
  client = null;
}

/** Subscribes; returns the function that ends the subscription. */
export function subscribe<R, V>(
  document: TypedDocument<R, V>,
  variables: V,
  onData: (data: R) => void,
): () => void {
  if (typeof window === 'undefined') return () => {};
  // Ended before the client arrived: never subscribes.
  let stop: (() => void) | null = null;
  let ended = false;
  getClient().then(
    (c) => {
      if (ended) return;
      stop = c.subscribe<R>(
        { query: document, variables: variables as Record<string, unknown> },
        {
          next: (msg) => {
            if (msg.data) onData(msg.data as R);
          },
          error: () => {},
          complete: () => {},
        },
      );
    },
    () => {},
  );
  return () => {
    ended = true;
    stop?.();
  };
}
