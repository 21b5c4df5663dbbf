import type { AuthHeader } from '@tracegate/schemas'

/** How each header carries a provider key. */
const asIs =
  (header: string) =>
  (key: string): Array<[string, string]> => [[header, key]]

export const AUTH_HEADERS: Record<AuthHeader, (key: string) => Array<[string, string]>> = {
  authorization: (key) => [['authorization', `Bearer ${key}`]],
  'x-api-key': asIs('x-api-key'),
  'api-key': asIs('api-key'),
  // Google's; its OpenAI-compatible endpoint takes it as well as the native API does.
  'x-goog-api-key': asIs('x-goog-api-key'),
}
