/**
 * Writing `[processes]` commands: flyctl splits them with google/shlex and runs the argv directly
 * (no shell, no `$VAR`). Shell command lines are rendered by shell.ts.
 */

/** Single-quotes a word for sh and for google/shlex alike (both keep '…' literal). */
export function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
  return `'${word.replaceAll("'", `'"'"'`)}'`
}

export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ')
}

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
