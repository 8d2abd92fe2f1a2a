import {FlotillaError} from '../errors.js'
import type {Duration} from './types.js'

const unitMs: Record<string, number> = {ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000}
const component = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y

/**
 * Milliseconds in a duration as fly-go's `Duration` reads it: a Go duration string ("1m30s",
 * "500ms", "-1.5h"; no days), or a bare number, which Go reads as **nanoseconds**. Numbers that
 * mean seconds or milliseconds in legacy fly.toml sections are converted to strings by the
 * patches before anything reads them.
 */
export function parseDuration(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(value)
    return value / 1e6
  }
  const match = /^([-+]?)(.*)$/s.exec(value)
  const sign = match?.[1] === '-' ? -1 : 1
  const body = match?.[2] ?? ''
  if (body === '0') return 0
  if (body === '') throw invalid(value)
  let total = 0
  component.lastIndex = 0
  while (component.lastIndex < body.length) {
    const start = component.lastIndex
    const part = component.exec(body)
    if (!part) throw invalid(value, body.slice(start).match(/^[\d.]*(.*)$/s)?.[1])
    total += Number(part[1]) * (unitMs[part[2] ?? ''] ?? Number.NaN)
  }
  return sign * total
}

/** Renders milliseconds as a Go duration string ("1m30s", "500ms", "0s"), the inverse of parseDuration. */
export function formatDuration(ms: number): Duration {
  if (ms === 0) return '0s'
  const sign = ms < 0 ? '-' : ''
  let rest = Math.abs(ms)
  let out = ''
  const hours = Math.floor(rest / 3_600_000)
  if (hours) out += `${hours}h`
  rest -= hours * 3_600_000
  const minutes = Math.floor(rest / 60_000)
  if (minutes) out += `${minutes}m`
  rest -= minutes * 60_000
  if (rest >= 1000 || (out && rest)) out += `${trim(rest / 1000)}s`
  else if (rest) out += rest >= 1 ? `${trim(rest)}ms` : rest >= 1e-3 ? `${trim(rest * 1e3)}us` : `${trim(rest * 1e6)}ns`
  return sign + out
}

const trim = (n: number): string => String(Number(n.toFixed(9)))

function invalid(value: string | number, unit?: string): FlotillaError {
  const reason = unit ? `unknown unit "${unit}" in duration` : 'invalid duration'
  return new FlotillaError('E_DURATION', `${reason} ${JSON.stringify(String(value))}`)
}
