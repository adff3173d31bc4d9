// The fetch function the orval-generated client calls (orval.config.mjs names it as its mutator):
// the generated code knows paths only, so this adds the base URL of the server under test.
let baseUrl = ''

export function setOrvalBaseUrl(url: string): void {
  baseUrl = url
}

/** Orval's fetch-client contract: resolves to `{ data, status, headers }`, whatever the status. */
export async function orvalFetch<T>(url: string, options: RequestInit): Promise<T> {
  const response = await fetch(`${baseUrl}${url}`, options)
  const text = [204, 304].includes(response.status) || options.method === 'HEAD' ? '' : await response.text()
  const data = text ? JSON.parse(text) : undefined
  return { data, status: response.status, headers: response.headers } as T
}

export default orvalFetch
