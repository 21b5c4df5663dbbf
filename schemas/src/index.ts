export * from './config.ts'
export * from './span.ts'
export * from './api.ts'
export * from './query.ts'
