/**
 * The INI dialect supervisord reads: Python's RawConfigParser with inline_comment_prefixes
 * (';', '#') and strict=False (process-managers.md 2.1), ported rule for rule from CPython 3.11
 * `_read`, keeping the file and line of every key for located messages.
 */

export interface IniValue {
  value: string
  file: string
  line: number
  /** The inline comment cut from the key's line (supervisord cuts even inside quotes). */
  comment?: string
}

/** Sections by name; keys lower-cased; a repeated section merges and a repeated key wins last. */
export type IniSections = Map<string, {file: string; line: number; keys: Map<string, IniValue>}>

export class IniSyntaxError extends Error {
  constructor(message: string, readonly file: string, readonly line: number) {
    super(message)
  }
}

const SECTION = /^\[(.+)\]/
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/

export function parseIni(text: string, file: string, into: IniSections = new Map()): IniSections {
  let section: {file: string; line: number; keys: Map<string, IniValue>} | undefined
  let option: {key: string; lines: string[]; line: number; comment?: string} | undefined
  let indentLevel = 0
  const flush = (): void => {
    if (!option || !section) return
    // CPython joins continuation lines with '\n' and strips trailing empty lines.
    section.keys.set(option.key, {value: option.lines.join('\n').replace(/\n+$/, ''), file, line: option.line,
      ...(option.comment === undefined ? {} : {comment: option.comment})})
  }
  const lines = text.split(/\r?\n|\r/)
  lines.forEach((raw, index) => {
    const lineNo = index + 1
    let commentStart = commentIndex(raw)
    if (/^\s*[#;]/.test(raw)) commentStart = 0
    const value = raw.slice(0, commentStart).trim()
    if (value === '') {
      // empty_lines_in_values: a blank (not comment) line belongs to the value being read
      if (commentStart === raw.length && option) option.lines.push('')
      return
    }
    const indent = /\S/.exec(raw)?.index ?? 0
    if (section && option && indent > indentLevel) {
      option.lines.push(value)
      return
    }
    indentLevel = indent
    const header = SECTION.exec(value)
    if (header) {
      flush()
      option = undefined
      const name = header[1] ?? ''
      const existing = into.get(name)
      section = existing ?? {file, line: lineNo, keys: new Map()}
      if (!existing) into.set(name, section)
      return
    }
    if (!section) throw new IniSyntaxError(`no [section] header before ${JSON.stringify(raw.trim())}`, file, lineNo)
    const match = OPTION.exec(value)
    if (!match || (match[1] ?? '').trimEnd() === '') throw new IniSyntaxError(`not "key = value": ${JSON.stringify(raw.trim())}`, file, lineNo)
    flush()
    option = {key: (match[1] ?? '').trimEnd().toLowerCase(), lines: [(match[3] ?? '').trim()], line: lineNo,
      ...(commentStart < raw.length ? {comment: raw.slice(commentStart)} : {})}
  })
  flush()
  return into
}

/** Index where an inline comment starts: ';' or '#' at column 0 or after whitespace, even inside quotes. */
function commentIndex(line: string): number {
  for (let i = 0; i < line.length; i++) {
    const c = line[i]
    if ((c === ';' || c === '#') && (i === 0 || /\s/.test(line[i - 1] ?? ''))) return i
  }
  return line.length
}
