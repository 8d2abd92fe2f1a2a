/**
 * The two pieces of Python that decide what supervisord runs: `%`-formatting of values, and
 * `shlex` (POSIX mode for `command`, legacy mode for `environment`).
 */

/** Thrown with the reason; callers add the location. */
export class PythonTextError extends Error {}

// %(name)<flags><width><.precision><conversion>, or %%
const FORMAT = /%(?:(%)|\(([^)]*)\)([#0\- +]*)(\d*)(?:\.(\d+))?([diouxXeEfFgGcrsa]))/y

/**
 * Python's `s % mapping`. `lookup` returns the value of a name or undefined when unknown (an error,
 * as in supervisord). Numbers honour `d` with zero padding (`%(process_num)02d`).
 */
export function percentFormat(s: string, lookup: (name: string) => string | number | undefined): string {
  let out = ''
  let i = 0
  while (i < s.length) {
    const at = s.indexOf('%', i)
    if (at === -1) return out + s.slice(i)
    out += s.slice(i, at)
    FORMAT.lastIndex = at
    const m = FORMAT.exec(s)
    if (!m) throw new PythonTextError(`a "%" that is not "%%" or "%(name)s" (supervisord: "badly formatted"); write a literal % as %%`)
    i = FORMAT.lastIndex
    if (m[1]) {
      out += '%'
      continue
    }
    const name = m[2] ?? ''
    const value = lookup(name)
    if (value === undefined) throw new PythonTextError(`%(${name})s cannot be expanded`)
    const conversion = m[6]
    if (conversion === 'd' || conversion === 'i') {
      const n = Number(value)
      if (!Number.isInteger(n)) throw new PythonTextError(`%(${name})${conversion} needs a number, got ${JSON.stringify(value)}`)
      const width = Number(m[4] || 0)
      out += String(Math.abs(n)).padStart(width - (n < 0 ? 1 : 0), (m[3] ?? '').includes('0') ? '0' : ' ').replace(/^/, n < 0 ? '-' : '')
    } else {
      out += String(value).padStart(Number(m[4] || 0))
    }
  }
  return out
}

/** `shlex.split(s)`: POSIX rules, no comments (supervisord's `command`). */
export function shlexSplit(s: string): string[] {
  const words: string[] = []
  let word: string | undefined
  let quote: "'" | '"' | undefined
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (quote === "'") {
      if (c === "'") quote = undefined
      else word += c
    } else if (quote === '"') {
      if (c === '"') quote = undefined
      else if (c === '\\' && i + 1 < s.length) {
        const next = s[++i] as string
        // inside "…", a backslash only escapes " and \ (and is kept otherwise)
        word += next === '"' || next === '\\' ? next : `\\${next}`
      } else word += c
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
    } else if (c === "'" || c === '"') {
      quote = c
      word ??= ''
    } else if (c === '\\') {
      if (i + 1 >= s.length) throw new PythonTextError('no escaped character')
      word = (word ?? '') + s[++i]
    } else word = (word ?? '') + c
  }
  if (quote) throw new PythonTextError('no closing quotation')
  if (word !== undefined) words.push(word)
  return words
}

const WORD_CHARS = /[A-Za-z0-9_/.+\-():]/

/**
 * supervisord's `dict_of_key_value_pairs` (datatypes.py): legacy-mode shlex tokens taken three at
 * a time as KEY = VALUE, skipping the fourth (meant to be the comma, whatever it is), quotes
 * stripped from both ends of the value. Reproduces its surprises: `A=has space` gives "has".
 */
export function keyValuePairs(s: string): Record<string, string> {
  const tokens = legacyTokens(s)
  const pairs: Record<string, string> = {}
  for (let i = 0; i < tokens.length; i += 4) {
    const [key, eq, value] = tokens.slice(i, i + 3)
    if (key === undefined || eq !== '=' || value === undefined) throw new PythonTextError(`unexpected end of key/value pairs in ${JSON.stringify(s)}`)
    pairs[key] = value.replace(/^['"]+|['"]+$/g, '')
  }
  return pairs
}

function legacyTokens(s: string): string[] {
  const tokens: string[] = []
  let i = 0
  while (i < s.length) {
    const c = s[i] as string
    if (/\s/.test(c)) i++
    else if (c === '#') {
      while (i < s.length && s[i] !== '\n') i++
    } else if (WORD_CHARS.test(c)) {
      let j = i
      while (j < s.length && WORD_CHARS.test(s[j] as string)) j++
      tokens.push(s.slice(i, j))
      i = j
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, i + 1)
      if (end === -1) throw new PythonTextError('no closing quotation')
      tokens.push(s.slice(i, end + 1))
      i = end + 1
    } else {
      tokens.push(c)
      i++
    }
  }
  return tokens
}
