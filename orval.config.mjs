// orval (https://orval.dev): the second independent client generator CI runs (npm run
// clients:generate), beside openapi-typescript and @hey-api/openapi-ts. Its fetch client calls the
// mutator in test/clients/orval-fetch.ts, which adds the base URL of the server under test.
export default {
  acupointApi: {
    input: { target: './openapi.yaml' },
    output: {
      target: './test/generated/orval/acupoint-api.ts',
      client: 'fetch',
      mode: 'single',
      // Header parameters (If-Match, X-Receipt-Token) become typed arguments, required where the document says so.
      headers: true,
      override: { mutator: { path: './test/clients/orval-fetch.ts', name: 'orvalFetch' } },
    },
  },
}
