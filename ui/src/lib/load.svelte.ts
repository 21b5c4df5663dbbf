/**
 * Data for a view: re-fetched whenever state read synchronously by `fn` changes (the URL, a
 * control), the previous fetch aborted. Gives every view its loading and error states.
 */
export class Loaded<T> {
  loading = $state(true)
  error = $state<string | null>(null)
  data = $state.raw<T | null>(null)

  constructor(fn: (signal: AbortSignal) => Promise<T>) {
    $effect(() => {
      const ctl = new AbortController()
      this.loading = true
      this.error = null
      fn(ctl.signal).then(
        (d) => {
          if (!ctl.signal.aborted) {
            this.data = d
            this.loading = false
          }
        },
        (e: Error) => {
          if (!ctl.signal.aborted) {
            this.error = e.message
            this.loading = false
          }
        },
      )
      return () => ctl.abort()
    })
  }
}
