/** ClickHouse DateTime64(3) text (UTC) from epoch milliseconds, and back to ISO 8601 for the API. */
export const chTime = (ms: number): string => new Date(Math.floor(ms)).toISOString().replace('T', ' ').slice(0, 23)

export const isoFromCh = (text: string): string => `${text.replace(' ', 'T').slice(0, 23)}Z`

export const msFromCh = (text: string): number => Date.parse(isoFromCh(text))
