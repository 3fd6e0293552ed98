import type { NextConfig } from 'next';

// A static export: `gantry serve` serves `out/` at `/` on the same origin as `/graphql`.
const config: NextConfig = {
  output: 'export',
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  // Only for `next dev`: forward the API to a running `gantry serve` (ignored by the export).
  ...(process.env.NODE_ENV === 'development'
    ? {
        async rewrites() {
          const api = process.env.GANTRY_API ?? 'http://127.0.0.1:8080';
          return [{ source: '/graphql', destination: `${api}/graphql` }];
        },
      }
    : {}),
};

export default config;
