const KEY = 'tracegate.admin_token'

/** The admin token (when the gateway has one), kept in this browser only. */
export const auth = $state({ token: localStorage.getItem(KEY) ?? '', required: false })

export function setToken(token: string): void {
  auth.token = token
  auth.required = false
  if (token) localStorage.setItem(KEY, token)
  else localStorage.removeItem(KEY)
}
