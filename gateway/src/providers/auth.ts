/** The ways providers take a key. */
export const bearer = (key: string): Array<[string, string]> => [['authorization', `Bearer ${key}`]]
export const xApiKey = (key: string): Array<[string, string]> => [['x-api-key', key]]
export const azureApiKey = (key: string): Array<[string, string]> => [['api-key', key]]
/** Google's API-key header; its OpenAI-compatible endpoint takes it as well as the native API does. */
export const googApiKey = (key: string): Array<[string, string]> => [['x-goog-api-key', key]]
