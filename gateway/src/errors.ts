/**
 * Every error the gateway itself raises, in one place, each with a stable code, an HTTP status
 * and an OpenAI-style `type`, so clients and tests match on the code and never on message text.
 * Upstream errors are not listed here: they pass through unchanged.
 */
export const ERRORS = {
  invalid_json: { status: 400, type: 'invalid_request_error' },
  invalid_request: { status: 400, type: 'invalid_request_error' },
  invalid_header: { status: 400, type: 'invalid_request_error' },
  unsupported_route_for_provider: { status: 400, type: 'invalid_request_error' },
  unknown_provider: { status: 404, type: 'invalid_request_error' },
  not_found: { status: 404, type: 'invalid_request_error' },
  invalid_api_key: { status: 401, type: 'authentication_error' },
  missing_api_key: { status: 401, type: 'authentication_error' },
  admin_token_required: { status: 401, type: 'authentication_error' },
  expired_api_key: { status: 401, type: 'authentication_error' },
  model_not_allowed: { status: 403, type: 'permission_error' },
  budget_exceeded: { status: 429, type: 'budget_exceeded' },
  rate_limit_exceeded: { status: 429, type: 'rate_limit_exceeded' },
  request_too_large: { status: 413, type: 'invalid_request_error' },
  request_timeout: { status: 408, type: 'invalid_request_error' },
  headers_too_large: { status: 431, type: 'invalid_request_error' },
  malformed_http: { status: 400, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  invalid_path: { status: 400, type: 'invalid_request_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  misdirected_request: { status: 421, type: 'invalid_request_error' },
  forbidden_origin: { status: 403, type: 'permission_error' },
  upstream_unreachable: { status: 502, type: 'upstream_error' },
  upstream_timeout: { status: 504, type: 'upstream_error' },
  storage_unavailable: { status: 503, type: 'server_error' },
  limits_unavailable: { status: 503, type: 'server_error' },
  internal_error: { status: 500, type: 'server_error' },
  storage_timeout: { status: 504, type: 'server_error' },
  loopback_only: { status: 403, type: 'permission_error' },
  fault_injection_forbidden: { status: 403, type: 'permission_error' },
} as const

export type ErrorCode = keyof typeof ERRORS

export class GatewayError extends Error {
  readonly code: ErrorCode
  readonly status: number
  readonly type: string
  readonly param: string | null
  /** Headers the answer carries besides the body's (Retry-After, x-ratelimit-*). */
  readonly headers: Record<string, string>

  constructor(code: ErrorCode, message: string, param: string | null = null, headers: Record<string, string> = {}) {
    super(message)
    this.code = code
    this.status = ERRORS[code].status
    this.type = ERRORS[code].type
    this.param = param
    this.headers = headers
  }

  toJSON() {
    return { error: { message: this.message, type: this.type, code: this.code, param: this.param } }
  }
}

/** A 400 listing every schema problem by path; `param` names the first one. */
export function invalidRequest(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  where = 'body',
): GatewayError {
  const path = (i: { path: ReadonlyArray<PropertyKey> }) => i.path.map(String).join('.')
  return new GatewayError(
    'invalid_request',
    issues.map((i) => `${path(i) || where}: ${i.message}`).join('; '),
    (issues[0] && path(issues[0])) || null,
  )
}

/**
 * Errors Node's HTTP parser raises before a request exists (slow or oversized headers, broken
 * framing): answered on the raw socket, in the same OpenAI shape as every other gateway error.
 */
export function clientError(err: { code?: string }): GatewayError {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return new GatewayError('request_timeout', 'the request was not received in time (server.request_timeout_ms)')
  if (err.code === 'HPE_HEADER_OVERFLOW') return new GatewayError('headers_too_large', 'request headers are too large')
  return new GatewayError('malformed_http', 'the request is not valid HTTP/1.1')
}

/** Map errors thrown by Fastify itself (body limits, parsers, 404s) onto gateway errors. */
export function fromFrameworkError(err: { code?: string; statusCode?: number; message?: string }): GatewayError {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new GatewayError('request_too_large', 'request body exceeds max_request_bytes')
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new GatewayError('unsupported_media_type', 'unsupported content-type; send application/json')
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new GatewayError('invalid_json', 'request body is empty; expected a JSON object')
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new GatewayError('invalid_request', 'content-length does not match the body')
  }
  if (err.statusCode === 400) return new GatewayError('invalid_request', 'the request could not be read')
  return new GatewayError('internal_error', 'internal gateway error')
}

/**
 * invalidRequest for explorer API input. zod reports unknown fields on the object that holds them,
 * naming them only in `keys`; each gets its own path here so `param` names it (`?form=` → "form").
 */
export function invalidInput(
  issues: ReadonlyArray<{ code?: string; keys?: string[]; path: ReadonlyArray<PropertyKey>; message: string }>,
  where: string,
): GatewayError {
  type Issue = { path: ReadonlyArray<PropertyKey>; message: string }
  return invalidRequest(
    issues.flatMap((i): Issue[] =>
      i.code === 'unrecognized_keys' && i.keys?.length
        ? i.keys.map((k) => ({ path: [...i.path, k], message: 'unknown field' }))
        : [i],
    ),
    where,
  )
}
