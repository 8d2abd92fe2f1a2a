/**
 * smol-toml returns plain values without positions, so a problem reported by key path
 * (`app[1].local.count`, `mounts[0]`, `processes.web`) is located by scanning the text: table
 * headers are numbered as TOML numbers arrays of tables, and `key =` lines extend the current
 * header's path. A key the scanner cannot follow (inline tables, dotted keys, legacy aliases)
 * falls back to the closest enclosing table or key that it found.
 */
export interface TextPosition {
  line: number
  column: number
}

const HEADER = /^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?/
const KEY = /^(\s*)(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=/
const unquote = (segment: string) => segment.trim().replace(/^["']|["']$/g, '')

/** Every header and key of the text, as `[indexed key path, position]`, in text order. */
function paths(text: string): [string, TextPosition][] {
  const found: [string, TextPosition][] = []
  const counters = new Map<string, number>()
  let table = ''
  text.split(/\r?\n/).forEach((source, i) => {
    const header = HEADER.exec(source)
    if (header) {
      // Each segment of `[[a.b]]` resolves against the latest entry of arrays already seen.
      const names = header[2]!.split('.').map(unquote)
      let path = ''
      names.forEach((name, k) => {
        path = path ? `${path}.${name}` : name
        const isArray = k === names.length - 1 ? header[1] === '[[' : counters.has(path)
        if (isArray && k === names.length - 1) counters.set(path, (counters.get(path) ?? -1) + 1)
        if (isArray) path = `${path}[${counters.get(path)}]`
      })
      table = path
      found.push([table, {line: i + 1, column: source.indexOf('[') + 1}])
      return
    }
    const key = KEY.exec(source)
    if (key) found.push([`${table ? `${table}.` : ''}${key[2] ?? key[3] ?? key[4]}`, {line: i + 1, column: key[1]!.length + 1}])
  })
  return found
}

/** Position of `keyPath` in TOML `text`, or of its closest located ancestor; undefined if none. */
export function locateKeyPath(text: string, keyPath: string): TextPosition | undefined {
  const all = paths(text)
  for (let path = keyPath; path; path = path.replace(/(\[\d+\]|\.[^.[\]]*|^[^.[\]]*)$/, '')) {
    const hit = all.find(([p]) => p === path)
    if (hit) return hit[1]
  }
  return undefined
}
