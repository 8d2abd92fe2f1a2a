/**
 * Plain aligned text tables (`flotilla ps`): a header and left-aligned columns, two spaces apart.
 * Width is measured without colour codes so coloured cells still line up.
 */
import {stripVTControlCharacters} from 'node:util'

export interface Column<Row> {
  header: string
  cell(row: Row): string
}

export function renderTable<Row>(rows: readonly Row[], columns: readonly Column<Row>[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => c.cell(row)))]
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => stripVTControlCharacters(line[i]!).length)))
  return cells
    .map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell + ' '.repeat(widths[i]! - stripVTControlCharacters(cell).length))).join('  ').trimEnd())
    .join('\n')
}

/** `3d4h`, `5m12s`, `42s`: the two largest units, like `docker ps`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000))
  const units: [number, string][] = [[Math.floor(s / 86400), 'd'], [Math.floor(s / 3600) % 24, 'h'], [Math.floor(s / 60) % 60, 'm'], [s % 60, 's']]
  const first = units.findIndex(([n]) => n > 0)
  if (first < 0) return '0s'
  return units.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join('')
}
