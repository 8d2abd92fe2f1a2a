import {formatLocation} from '../errors.js'
import type {Diagnostic} from './types.js'

/** `fly.toml:12:5: warning: message`, or `fly.toml: services[1]: message` without a line (the form editors jump to). */
export function formatDiagnostic(d: Diagnostic): string {
  const where = formatLocation(d) + (d.line === undefined && d.keyPath ? `: ${d.keyPath}` : '')
  return `${where}: ${d.severity}: ${d.message}`
}
