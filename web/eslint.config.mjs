import coreWebVitals from 'eslint-config-next/core-web-vitals';
import typescript from 'eslint-config-next/typescript';

const config = [
  ...coreWebVitals,
  ...typescript,
  { ignores: ['.next/**', 'out/**', 'node_modules/**', 'next-env.d.ts', 'src/lib/graphql/generated.ts', 'e2e/artifacts/**'] },
];
export default config;
