/**
 * smol-toml returns values without positions, so this indexes the text once: every table
 * header, key and array element gets its 1-based line:column under the key path the parsed
 * value has (`services[1].ports[0].port`, `env.PORT`, `checks.alive`), and every value written
 * after `=` or inside an array the position of its first character. It relies on the text
 * already having parsed, so it only needs to tell keys, strings, brackets and comments apart.
 */
export interface Position {
  line: number
  column: number
}

export class KeyLocator {
  private readonly positions = new Map<string, Position>()
  private readonly values = new Map<string, Position>()
  private readonly lineStarts: number[] = [0]
  private readonly text: string
  private i = 0

  constructor(text: string) {
    this.text = text
    for (let k = 0; k < text.length; k++) if (text[k] === '\n') this.lineStarts.push(k + 1)
    this.scanDocument()
  }

  /** Position of `keyPath`, or of its nearest located ancestor (a missing key points at its table). */
  locate(keyPath: string): Position | undefined {
    for (let path = keyPath; ; path = parentPath(path)) {
      const found = this.positions.get(path)
      if (found || path === '') return found
    }
  }

  /** Position of the value written for `keyPath` (`"abc"` in `port = "abc"`), else as `locate`: a table header has no value of its own. */
  locateValue(keyPath: string): Position | undefined {
    return this.values.get(keyPath) ?? this.locate(keyPath)
  }

  private position(offset: number): Position {
    let lo = 0
    let hi = this.lineStarts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (this.lineStarts[mid]! <= offset) lo = mid
      else hi = mid - 1
    }
    return {line: lo + 1, column: [...this.text.slice(this.lineStarts[lo], offset)].length + 1}
  }

  private record(path: string, offset: number): void {
    if (!this.positions.has(path)) this.positions.set(path, this.position(offset))
  }

  private scanDocument(): void {
    const arrayCounts = new Map<string, number>() // `[[a.b]]` path -> elements so far
    let table = ''
    while (this.skipSpace(true), this.i < this.text.length) {
      const start = this.i
      if (this.text.startsWith('[[', this.i)) {
        this.i += 2
        const keys = this.readKey()
        const path = join(this.resolve(keys.slice(0, -1), arrayCounts), keys.at(-1) ?? '')
        const index = arrayCounts.get(path) ?? 0
        arrayCounts.set(path, index + 1)
        table = `${path}[${index}]`
        this.record(path, start)
        this.record(table, start)
        this.i = this.text.indexOf(']]', this.i) + 2
      } else if (this.text[this.i] === '[') {
        this.i++
        table = this.resolve(this.readKey(), arrayCounts)
        this.record(table, start)
        this.i = this.text.indexOf(']', this.i) + 1
      } else this.scanKeyValue(table)
    }
  }

  /** Header keys name the latest element of any array of tables on the way (`[services.ports]`). */
  private resolve(keys: string[], arrayCounts: Map<string, number>): string {
    let path = ''
    for (const key of keys) {
      path = join(path, key)
      const count = arrayCounts.get(path)
      if (count) path += `[${count - 1}]`
    }
    return path
  }

  private scanKeyValue(table: string): void {
    const start = this.i
    const keys = this.readKey()
    let path = table
    for (const key of keys) {
      path = join(path, key)
      this.record(path, start)
    }
    this.skipSpace(false)
    this.i++ // '='
    this.scanValue(path)
  }

  private scanValue(path: string): void {
    this.skipSpace(false)
    if (!this.values.has(path)) this.values.set(path, this.position(this.i))
    const c = this.text[this.i]
    if (c === '"' || c === "'") this.readString()
    else if (c === '{') {
      this.i++
      while (this.skipSpace(true), this.i < this.text.length && this.text[this.i] !== '}') {
        if (this.text[this.i] === ',') this.i++
        else this.scanKeyValue(path)
      }
      this.i++
    } else if (c === '[') {
      this.i++
      let index = 0
      while (this.skipSpace(true), this.i < this.text.length && this.text[this.i] !== ']') {
        if (this.text[this.i] === ',') this.i++
        else {
          this.record(`${path}[${index}]`, this.i)
          this.scanValue(`${path}[${index++}]`)
        }
      }
      this.i++
    } else {
      while (this.i < this.text.length && !/[\s,\]}#]/.test(this.text[this.i]!)) this.i++
    }
  }

  /** A dotted key (bare or quoted parts), leaving `i` after it. */
  private readKey(): string[] {
    const keys: string[] = []
    for (;;) {
      this.skipSpace(false)
      const c = this.text[this.i]
      if (c === '"' || c === "'") keys.push(this.readString())
      else {
        const bare = /[A-Za-z0-9_-]*/y
        bare.lastIndex = this.i
        const word = bare.exec(this.text)?.[0] ?? ''
        keys.push(word)
        this.i += word.length
      }
      this.skipSpace(false)
      if (this.text[this.i] !== '.') return keys
      this.i++
    }
  }

  /** Reads any TOML string form and returns its value (escapes decoded well enough for key names). */
  private readString(): string {
    const quote = this.text[this.i]!
    const triple = this.text.startsWith(quote.repeat(3), this.i)
    const delimiter = triple ? quote.repeat(3) : quote
    let k = this.i + delimiter.length
    let value = ''
    while (k < this.text.length && !this.text.startsWith(delimiter, k)) {
      if (quote === '"' && this.text[k] === '\\') {
        value += this.text.slice(k, k + 2)
        k += 2
      } else value += this.text[k++]
    }
    k += delimiter.length
    while (triple && this.text[k] === quote) k++ // up to two quotes may end a multi-line string
    this.i = k
    return quote === '"' ? unescapeBasic(value) : value
  }

  private skipSpace(newlines: boolean): void {
    for (;;) {
      const c = this.text[this.i]
      if (c === ' ' || c === '\t' || (newlines && (c === '\n' || c === '\r'))) this.i++
      else if (c === '#' && newlines) {
        const end = this.text.indexOf('\n', this.i)
        this.i = end === -1 ? this.text.length : end
      } else return
    }
  }
}

function unescapeBasic(raw: string): string {
  if (!raw.includes('\\')) return raw
  try {
    return JSON.parse(`"${raw.replace(/\\U([0-9a-fA-F]{8})/g, (_, hex: string) => String.fromCodePoint(parseInt(hex, 16)))}"`) as string
  } catch {
    return raw
  }
}

/**
 * Position of `keyPath` in TOML `text` that has parsed, or of its closest located ancestor; for
 * problems found after parsing (flotilla.toml, the split's checks).
 */
export function locateKeyPath(text: string, keyPath: string): Position | undefined {
  return new KeyLocator(text).locate(keyPath)
}

/** `a` + `b` -> `a.b`; a key that is not bare is quoted (`processes."web.v2"`), as the locator records it. */
export const join = (path: string, key: string): string =>
  (path ? `${path}.` : '') + (/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key))

/** `a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ''. */
export function parentPath(path: string): string {
  const match = /^(.*?)(?:\[\d+\]|\.(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"))$/.exec(path)
  return match ? match[1]! : ''
}
