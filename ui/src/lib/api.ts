import type {
  CostReport,
  MetaKeysResponse,
  QueryRequest,
  QueryResponse,
  TraceListResponse,
  TraceResponse,
} from '@tracegate/schemas'
import { auth } from './auth.svelte.ts'

/** An API failure with the gateway's OpenAI-style message, ready to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code = '',
  ) {
    super(message)
  }
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  return auth.token ? { ...extra, authorization: `Bearer ${auth.token}` } : extra
}

async function check(res: Response): Promise<Response> {
  if (res.ok) return res
  let message = `HTTP ${res.status}`
  let code = ''
  try {
    const body = (await res.json()) as { error?: { message?: string; code?: string } }
    message = body.error?.message ?? message
    code = body.error?.code ?? ''
  } catch {
    /* not JSON: keep the status line */
  }
  if (res.status === 401) auth.required = true
  throw new ApiError(res.status, message, code)
}

export async function get(path: string, signal?: AbortSignal): Promise<Response> {
  return check(await fetch(path, { headers: headers(), signal }))
}

/** A write to the admin API (JSON in, JSON out); its OpenAI-style error becomes an ApiError. */
export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const extra: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' }
  const res = await fetch(path, {
    method,
    headers: headers(extra),
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return (await check(res)).json() as Promise<T>
}

export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return (await get(path, signal)).json() as Promise<T>
}

/** A slice as POST /api/query takes it; dates are sent as ISO strings. */
export type Slice = Omit<QueryRequest, 'from' | 'to' | 'group_by' | 'filters' | 'limit'> & {
  from: Date
  to: Date
  group_by?: QueryRequest['group_by']
  filters?: QueryRequest['filters']
  limit?: number
}

export async function query(slice: Slice, signal?: AbortSignal): Promise<QueryResponse> {
  const body = JSON.stringify({ ...slice, from: slice.from.toISOString(), to: slice.to.toISOString() })
  const res = await fetch('/api/query', {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json' }),
    body,
    signal,
  })
  return (await check(res)).json() as Promise<QueryResponse>
}

export const traces = (params: URLSearchParams, signal?: AbortSignal) =>
  getJson<TraceListResponse>(`/api/traces?${params}`, signal)
export const trace = (id: string, signal?: AbortSignal) =>
  getJson<TraceResponse>(`/api/traces/${encodeURIComponent(id)}`, signal)
export const costReport = (params: URLSearchParams, signal?: AbortSignal) =>
  getJson<CostReport>(`/api/reports/cost?${params}`, signal)
export const metaKeys = (from: Date, to: Date, signal?: AbortSignal) =>
  getJson<MetaKeysResponse>(
    `/api/meta-keys?${new URLSearchParams({ from: from.toISOString(), to: to.toISOString() })}`,
    signal,
  )
