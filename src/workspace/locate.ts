/**
 * smol-toml returns plain values without positions, so errors about a value are located by
 * scanning the text: the Nth `[[app]]` header, then `key =` inside that block. A key written in
 * a form the scanner does not follow (inline tables, dotted keys) falls back to the block's header.
 */
interface Block {
  /** `''` for the root table, else the header's dotted name (`app`, `app.local`). */
  table: string
  /** 1-based line of the header (1 for the root table). */
  line: number
  /** Which `[[app]]` entry the block belongs to, -1 outside any. */
  appIndex: number
  keys: Map<string, {line: number; column: number}>
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?/
const KEY = /^(\s*)(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*=/

function blocks(text: string): Block[] {
  const out: Block[] = [{table: '', line: 1, appIndex: -1, keys: new Map()}]
  let appIndex = -1
  text.split(/\r?\n/).forEach((source, i) => {
    const header = HEADER.exec(source)
    if (header) {
      const table = header[1]!.replace(/\s*\.\s*/g, '.').replace(/["']/g, '')
      if (table === 'app' && source.trimStart().startsWith('[[')) appIndex++
      out.push({table, line: i + 1, appIndex: table === 'app' || table.startsWith('app.') ? appIndex : -1, keys: new Map()})
      return
    }
    const key = KEY.exec(source)
    if (key) {
      const block = out.at(-1)!
      const name = key[2] ?? key[3] ?? key[4]!
      if (!block.keys.has(name)) block.keys.set(name, {line: i + 1, column: key[1]!.length + 1})
    }
  })
  return out
}

export interface TextPosition {
  line: number
  column: number
}

/**
 * Position of `key` in `[[app]]` number `appIndex` (its sub-table `sub`, e.g. `local`), or of a
 * root key when `appIndex` is undefined. Falls back to the enclosing header, else undefined.
 */
export function locateKey(text: string, key: string | undefined, appIndex?: number, sub?: string): TextPosition | undefined {
  const table = appIndex === undefined ? '' : sub ? `app.${sub}` : 'app'
  const all = blocks(text)
  const block = all.find((b) => b.table === table && (appIndex === undefined || b.appIndex === appIndex))
    ?? all.find((b) => b.table === 'app' && b.appIndex === appIndex)
  if (!block) return undefined
  const found = key === undefined ? undefined : block.keys.get(key)
  if (found) return found
  // A root key written as a table header (`[app]`) is located at that header.
  const header = block.table === '' ? all.find((b) => b.table === key) : block
  return header && {line: header.line, column: 1}
}
