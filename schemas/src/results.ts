/** How a request ended for its caller (the request rollup's Result, the trace list's `result` filter). */
export const REQUEST_RESULTS = ['first_try', 'saved_by_retry', 'saved_by_fallback', 'lost', 'cancelled'] as const
export type RequestResult = (typeof REQUEST_RESULTS)[number]
