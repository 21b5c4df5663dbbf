import pino, { type Logger, type DestinationStream } from 'pino'

/**
 * JSON logs. Request headers are never logged; the redact list is a second line of defence
 * for any object that carries key material by accident.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'tracegate' },
      redact: {
        paths: [
          '*.authorization',
          '*.headers.authorization',
          '*.headers["x-api-key"]',
          '*.headers["api-key"]',
          'api_key',
          '*.api_key',
          'key',
          '*.key',
          'forwardKey',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  )
}
