/** Path + query of the page shown; the URL is the whole state, so a link reproduces a view. */
export const route = $state({ path: location.pathname, query: new URLSearchParams(location.search) })

function sync(): void {
  route.path = location.pathname
  route.query = new URLSearchParams(location.search)
}

addEventListener('popstate', sync)

export function navigate(href: string, replace = false): void {
  if (replace) history.replaceState(null, '', href)
  else history.pushState(null, '', href)
  sync()
  if (!replace) scrollTo(0, 0)
}

/** Change some query parameters of the current page; `null` or '' removes one. */
export function setQuery(changes: Record<string, string | string[] | null | undefined>, replace = true): void {
  const q = new URLSearchParams(location.search)
  for (const [k, v] of Object.entries(changes)) {
    q.delete(k)
    if (Array.isArray(v)) for (const item of v) q.append(k, item)
    else if (v) q.set(k, v)
  }
  const s = q.toString()
  navigate(`${location.pathname}${s ? `?${s}` : ''}`, replace)
}

/** Same-origin links navigate inside the app instead of reloading it. */
export function interceptLinks(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
  const a = (e.target as Element).closest('a')
  if (!a || a.target || a.hasAttribute('download') || a.origin !== location.origin) return
  e.preventDefault()
  navigate(a.pathname + a.search)
}
