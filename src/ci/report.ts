import {relative} from 'node:path'
import {styleText} from 'node:util'
import type {CiReport} from './index.js'

/** The human report on stdout; warnings go to stderr through the command's `warn`. */
export function renderCiReport(report: CiReport, cwd = process.cwd()): string {
  const out = [`${report.written ? 'Wrote' : 'Unchanged:'} ${relative(cwd, report.file) || report.file} (${report.provider}).`, '']
  if (report.buildOnce) out.push(`Builds the image once (with ${report.buildOnce}'s config) and deploys it to every app.`)
  if (report.release) out.push(`Deploys ${report.release} first (it owns release_command), then the others in parallel.`)
  out.push(styleText('bold', 'Path filters (a change here redeploys the app):'))
  for (const app of report.apps) out.push(`  ${app.name}: ${app.paths.join(' ')}`)
  out.push(`  every app: ${report.shared.join(' ')}`)
  out.push('', styleText('bold', 'Next steps'), ...report.steps.map((s) => `  ${s}`))
  return out.join('\n')
}
