import type { AuthHeader } from '@tracegate/schemas'

/** How each header carries a provider key. */
export const AUTH_HEADERS: Record<AuthHeader, (key: string) => Array<[string, string]>> = {
  authorization: (key) => [['authorization', `Bearer ${key}`]],
  'x-api-key': (key) => [['x-api-key', key]],
  'api-key': (key) => [['api-key', key]],
  // Google's; its OpenAI-compatible endpoint takes it as well as the native API does.
  'x-goog-api-key': (key) => [['x-goog-api-key', key]],
}
