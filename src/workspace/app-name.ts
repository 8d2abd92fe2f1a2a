/**
 * Fly app names (fly-platform.md 1.11): `[a-z0-9-]` only, and since `<name>.fly.dev` and
 * `<name>.internal` must be hostnames, at most 63 characters with no dash at either end.
 */
export const APP_NAME_MAX = 63

/** Why `name` is not a valid Fly app name, or undefined when it is. */
export function appNameProblem(name: string): string | undefined {
  if (name === '') return 'app name is empty'
  if (!/^[a-z0-9-]+$/.test(name)) return `app name "${name}" must consist of only lowercase letters, numbers, and dashes`
  if (name.startsWith('-') || name.endsWith('-')) return `app name "${name}" must not start or end with a dash`
  if (name.length > APP_NAME_MAX) return `app name "${name}" is ${name.length} characters long; the maximum is ${APP_NAME_MAX} (it must be a DNS label)`
  return undefined
}
