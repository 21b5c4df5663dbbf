/**
 * The requests `tracegate check --live` sends to every alias, in one place: the gateway prices
 * them for the estimate shown before anything is sent, and the CLI sends exactly these.
 */

/** Every probe's cap on output tokens: enough for a short JSON object or one tool call. */
export const PROBE_MAX_TOKENS = 64

export const PROBE_TOOL = 'get_weather'

/** What each chat alias is probed for, in order: the cost estimate counts this list. */
export const CHAT_PROBES = ['chat', 'stream', 'json', 'tools'] as const
export type ChatProbe = (typeof CHAT_PROBES)[number]

const ask = (content: string) => [{ role: 'user', content }]

/** A chat completion body for one probe; `model` is the alias. */
export function chatProbe(kind: ChatProbe, model: string): Record<string, unknown> {
  const base = { model, max_tokens: PROBE_MAX_TOKENS }
  switch (kind) {
    case 'chat':
      return { ...base, messages: ask('Reply with the single word: pong') }
    case 'stream':
      return { ...base, stream: true, messages: ask('Reply with the single word: pong') }
    case 'json':
      // OpenAI refuses json_object mode unless the messages say "JSON".
      return {
        ...base,
        response_format: { type: 'json_object' },
        messages: ask('Return only this JSON object: {"status": "ok"}'),
      }
    case 'tools':
      return {
        ...base,
        messages: ask('What is the weather in Paris? Use the tool.'),
        tool_choice: 'required',
        tools: [
          {
            type: 'function',
            function: {
              name: PROBE_TOOL,
              description: 'The current weather in a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          },
        ],
      }
  }
}

export const embeddingsProbe = (model: string) => ({ model, input: 'tracegate check' })

/** The largest probe body, for a worst-case input size. */
export const LARGEST_PROBE_BYTES = Buffer.byteLength(JSON.stringify(chatProbe('tools', 'x'.repeat(100))))

/**
 * An alias is probed as an embedding model when every target's model names one by the
 * convention providers follow (text-embedding-3-small, embed-english-v3.0, nomic-embed-text,
 * gemini-embedding-001): chat probes would only fail there, and a chat model has no embeddings.
 */
export const isEmbeddingModel = (model: string) => /embed/i.test(model)
