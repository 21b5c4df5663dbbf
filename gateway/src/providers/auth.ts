/** The three ways providers take a key. */
export const bearer = (key: string): Array<[string, string]> => [['authorization', `Bearer ${key}`]]
export const xApiKey = (key: string): Array<[string, string]> => [['x-api-key', key]]
export const azureApiKey = (key: string): Array<[string, string]> => [['api-key', key]]
