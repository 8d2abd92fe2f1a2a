/**
 * Naming and defaults for what an import writes. Commands are quoted with src/config's
 * `quoteArgv` (the inverse of flyctl's google/shlex split); shell lines are rendered by shell.ts.
 */

/**
 * A DNS label for a group name: process groups end up in `<group>.process.<app>.internal` and,
 * after a split, in app names. Lower-case, `[a-z0-9-]`, no dash at either end, 63 characters.
 */
export function groupLabel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '')
}

/** internal_port of the `[http_service]` an import writes (Fly's own default), exported as PORT. */
export const HTTP_PORT = '8080'
