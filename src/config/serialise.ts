/**
 * Writes a FlyConfig as fly.toml text the way flyctl lays it out (fly-platform.md §1.10):
 * sections in flyctl's struct order, table contents indented, single-quoted strings where no
 * escaping is needed, durations as Go duration strings. Unknown keys follow the known ones in
 * their own order. Output is stable (same config, same bytes) and parses back to the same config.
 */
import {isTable, type Table} from './patches.js'
import {flyConfigShape, type Shape} from './schema.js'
import type {FlyConfig} from './types.js'

export function serialiseFlyConfig(config: FlyConfig, header?: string): string {
  const lines: string[] = header === undefined ? [] : [...header.split('\n').map((l) => (l === '' || l.startsWith('#') ? l : `# ${l}`)), '']
  writeTable(lines, config, flyConfigShape, [], 0)
  while (lines.at(-1) === '') lines.pop()
  return `${lines.join('\n')}\n`
}

const isTableArray = (value: unknown): value is Table[] => Array.isArray(value) && value.length > 0 && value.every(isTable)

function writeTable(lines: string[], table: Table, shape: Shape | undefined, path: string[], depth: number): void {
  const ordered = orderKeys(table, shape)
  const indent = '  '.repeat(depth)
  const start = lines.length // a sub-table right under its parent's header needs no blank line
  const nested: [string, unknown][] = []
  for (const key of ordered) {
    const value = table[key]
    if (value === undefined) continue
    if (isTable(value) || isTableArray(value)) nested.push([key, value])
    else lines.push(`${indent}${tomlKey(key)} = ${inlineValue(value)}`)
  }
  for (const [key, value] of nested) {
    const childPath = [...path, key]
    const childShape = fieldShape(shape, key)
    const [open, close] = Array.isArray(value) ? ['[[', ']]'] : ['[', ']']
    for (const item of Array.isArray(value) ? (value as Table[]) : [value as Table]) {
      if (lines.length > start && lines.at(-1) !== '') lines.push('')
      lines.push(`${indent}${open}${childPath.map(tomlKey).join('.')}${close}`)
      writeTable(lines, item, Array.isArray(value) ? elementShape(childShape) : childShape, childPath, depth + 1)
    }
  }
}

/** Known keys in the schema's (flyctl's) order, then the rest as they came. */
function orderKeys(table: Table, shape: Shape | undefined): string[] {
  const keys = Object.keys(table)
  if (!shape || typeof shape === 'string' || !('fields' in shape)) return keys
  const known = Object.keys(shape.fields)
  return [...known.filter((k) => k in table), ...keys.filter((k) => !known.includes(k))]
}

function fieldShape(shape: Shape | undefined, key: string): Shape | undefined {
  if (!shape || typeof shape === 'string') return undefined
  if ('fields' in shape) return (shape.fields as Record<string, Shape>)[key]
  if ('map' in shape) return shape.map
  return undefined
}

const elementShape = (shape: Shape | undefined): Shape | undefined =>
  shape && typeof shape !== 'string' && 'list' in shape ? shape.list : undefined

const tomlKey = (key: string): string => (/^[A-Za-z0-9_-]+$/.test(key) ? key : basicString(key))

function inlineValue(value: unknown): string {
  if (typeof value === 'string') return /^[^'\p{Cc}]*$/u.test(value) ? `'${value}'` : basicString(value)
  if (typeof value === 'number') return Number.isNaN(value) ? 'nan' : Number.isFinite(value) ? String(value) : value > 0 ? 'inf' : '-inf'
  if (typeof value === 'boolean' || typeof value === 'bigint') return String(value)
  if (value instanceof Date) return value.toISOString()
  if (Array.isArray(value)) return `[${value.map(inlineValue).join(', ')}]`
  if (isTable(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    return entries.length ? `{${entries.map(([k, v]) => `${tomlKey(k)} = ${inlineValue(v)}`).join(', ')}}` : '{}'
  }
  throw new TypeError(`cannot write ${typeof value} as TOML`)
}

/** JSON escapes are valid TOML escapes; DEL must be escaped too in TOML. */
const basicString = (text: string): string => JSON.stringify(text).replaceAll('\x7f', '\\u007f')
