/**
 * Turning the commands of process managers into `[processes]` commands. flyctl splits those with
 * google/shlex and runs the argv directly (no shell, no `$VAR`), so anything a shell would
 * interpret has to be wrapped in `sh -c '…'`.
 */

// Characters that mean something to sh but nothing (or something else) to flyctl's shlex.
const SHELL_SYNTAX = /[$`|&;<>(){}*?[\]~!\n]|^\s*[A-Za-z_][A-Za-z0-9_]*=/
// A script that is one plain command: `exec` can replace the shell, so signals reach the process.
const COMPOUND = /[|&;<>()\n`]|\$\(/
const LEADING_ASSIGNMENTS = /^(?:[A-Za-z_][A-Za-z0-9_]*=(?:'[^']*'|"(?:[^"\\]|\\.)*"|[^\s'"])*\s+)+/

/** Single-quotes a word for sh and for google/shlex alike (both keep '…' literal). */
export function quoteWord(word: string): string {
  if (word !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word
  return `'${word.replaceAll("'", `'"'"'`)}'`
}

export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quoteWord).join(' ')
}

export interface RenderedCommand {
  command: string
  /** Why a shell was needed, when it was. */
  shell?: string
  /** The shell stays between Fly's init and the process: signals stop at sh. */
  signalsStopAtShell?: boolean
}

/**
 * Renders a shell command line (Procfile entry, script statement) for `[processes]`: as is when
 * flyctl's shlex split gives the argv sh would run, else `sh -c '…'`, with `exec` in front of a
 * single command so the process, not sh, receives Fly's kill_signal.
 */
export function renderShellCommand(script: string): RenderedCommand {
  const trimmed = script.trim()
  const syntax = SHELL_SYNTAX.exec(trimmed)
  if (!syntax) return {command: trimmed}
  const shell = syntax[0].includes('$') ? 'expands variables ($…)' : /=$/.test(syntax[0]) ? 'sets variables for the command' : `uses shell syntax (${JSON.stringify(syntax[0].trim())})`
  if (COMPOUND.test(trimmed)) return {command: quoteArgv(['sh', '-c', trimmed]), shell, signalsStopAtShell: true}
  // `A=1 exec cmd`: sh (dash and bash) passes the assignments on to the program exec runs.
  const assignments = LEADING_ASSIGNMENTS.exec(trimmed)?.[0] ?? ''
  const rest = trimmed.slice(assignments.length)
  const body = /^exec\s/.test(rest) ? trimmed : `${assignments}exec ${rest}`
  return {command: quoteArgv(['sh', '-c', body]), shell}
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
