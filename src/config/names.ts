/**
 * Name rules shared by validate, split and the workspace (fly-platform.md 1.5, 1.11). flyctl
 * checks neither client-side; the Fly API refuses bad app names, and a group name that is not a
 * DNS label makes `<group>.process.<app>.internal` impossible.
 */

/** Fly app names become the hostname label of `<app>.fly.dev` and `<app>.internal`. */
export const APP_NAME_MAX = 63

/** Why `name` is not a valid Fly app name, or undefined when it is. */
export function appNameProblem(name: string): string | undefined {
  if (name === '') return 'app name is empty'
  if (!/^[a-z0-9-]+$/.test(name)) return `app name "${name}" must consist of only lowercase letters, numbers, and dashes`
  if (name.startsWith('-') || name.endsWith('-')) return `app name "${name}" must not start or end with a dash`
  if (name.length > APP_NAME_MAX) return `app name "${name}" is ${name.length} characters long; the maximum is ${APP_NAME_MAX} (it must be a DNS label)`
  return undefined
}

/**
 * Why `group` cannot be the DNS label of `<group>.process.<app>.internal`, or undefined.
 * Underscores are legal in DNS (Fly's own docs use `bar_web`), so they are accepted.
 */
export function groupNameProblem(group: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,63}$/.test(group) || group.startsWith('-') || group.endsWith('-')) {
    return `process group "${group}" is not a DNS label (1-63 letters, digits, "-" or "_", no dash at either end), so "${group}.process.<app>.internal" cannot resolve`
  }
  return undefined
}
