import type {ImportDiagnostic} from './diagnostics.js'

export interface ProcfileEntry {
  name: string
  /** Run by foreman/overmind/honcho through `sh -c`; trailing whitespace removed. */
  command: string
  /** 1-based line of the entry. */
  line: number
}

export interface ParsedProcfile {
  entries: ProcfileEntry[]
  diagnostics: ImportDiagnostic[]
}

// foreman's and honcho's entry rule (process-managers.md 2.6): a name of ASCII letters, digits, `_`
// and `-`, a colon, optional spaces, a command. They silently skip every other line; we report it.
const ENTRY = /^([A-Za-z0-9_-]+):([ \t]*)(.*)$/
// dokku's procfile-util limit: process types end up in DNS labels.
const MAX_NAME = 63

/**
 * Reads a Procfile the way foreman/overmind do, but says what they would silently do differently:
 * duplicate names (overmind and honcho refuse, foreman runs both) and empty commands are errors;
 * lines that are not `NAME: COMMAND` (indented, `web.1:`, stray code) are skipped with a warning.
 * CRLF line ends are accepted. Entries keep file order; a duplicate is not added twice.
 */
export function parseProcfile(text: string, file: string): ParsedProcfile {
  const entries: ProcfileEntry[] = []
  const diagnostics: ImportDiagnostic[] = []
  const seen = new Map<string, number>()
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  lines.forEach((raw, index) => {
    const line = index + 1
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const match = ENTRY.exec(raw)
    if (!match) {
      diagnostics.push({severity: 'warning', code: 'W_PROCFILE_IGNORED_LINE', file, line, column: 1,
        message: `not a "NAME: COMMAND" line, skipped as foreman does: ${JSON.stringify(trimmed)}`})
      return
    }
    const [, name = '', gap = '', rest = ''] = match
    const command = rest.trimEnd()
    const column = name.length + 2 + gap.length
    if (command === '') {
      diagnostics.push({severity: 'error', code: 'E_PROCFILE_EMPTY_COMMAND', file, line, column,
        message: `process "${name}" has no command`})
      return
    }
    if (name.length > MAX_NAME) {
      diagnostics.push({severity: 'error', code: 'E_PROCFILE_NAME', file, line, column: 1,
        message: `process name "${name}" is longer than ${MAX_NAME} characters`})
      return
    }
    const first = seen.get(name)
    if (first !== undefined) {
      diagnostics.push({severity: 'error', code: 'E_PROCFILE_DUPLICATE', file, line, column: 1,
        message: `process "${name}" is already defined on line ${first} (overmind and honcho refuse this; foreman would run both)`})
      return
    }
    if (gap === '') {
      diagnostics.push({severity: 'warning', code: 'W_PROCFILE_NO_SPACE', file, line, column,
        message: `no space after "${name}:": foreman runs it, overmind and hivemind skip the line`})
    }
    seen.set(name, line)
    entries.push({name, command, line})
  })
  return {entries, diagnostics}
}
