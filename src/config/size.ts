import {FlotillaError} from '../errors.js'

const exponents: Record<string, number> = {'': 0, k: 1, m: 2, g: 3, t: 4, p: 5}

/**
 * A size as flyctl's `helpers.ParseSize` reads it: a bare integer is already in the target unit;
 * otherwise a docker/go-units human size ("10gb", "512 MiB"), decimal (`FromHumanSize`, used for
 * volume GB) or binary (`RAMInBytes`, used for memory MB), divided down and truncated.
 */
export function parseSize(text: string, unitBytes: number, binary: boolean): number {
  if (/^[+-]?\d+$/.test(text)) return Number(text)
  const match = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(text)
  if (!match) throw new FlotillaError('E_SIZE', `invalid size: '${text}'`)
  const base = binary ? 1024 : 1000
  const bytes = Number(match[1]) * base ** (exponents[match[2]!.toLowerCase()] ?? 0)
  return Math.trunc(Math.trunc(bytes) / unitBytes)
}

export const GB = 1e9
export const MiB = 1024 * 1024
