const KEY = 'tracegate.theme'
export const THEMES = ['system', 'light', 'dark'] as const
export type Theme = (typeof THEMES)[number]

const stored = localStorage.getItem(KEY)
const media = matchMedia('(prefers-color-scheme: dark)')

/** The theme picked in this browser (kept in local storage), and whether the system prefers dark. */
export const theme = $state({
  choice: (THEMES as readonly string[]).includes(stored ?? '') ? (stored as Theme) : 'system',
  systemDark: media.matches,
})
media.addEventListener('change', (e) => (theme.systemDark = e.matches))

export const isDark = () => theme.choice === 'dark' || (theme.choice === 'system' && theme.systemDark)

/** CSS follows `data-theme` (light-dark() in app.css); without it, the system's preference. */
function apply(): void {
  if (theme.choice === 'system') delete document.documentElement.dataset.theme
  else document.documentElement.dataset.theme = theme.choice
}
apply()

export function setTheme(choice: Theme): void {
  theme.choice = choice
  if (choice === 'system') localStorage.removeItem(KEY)
  else localStorage.setItem(KEY, choice)
  apply()
}
