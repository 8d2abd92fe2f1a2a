import {basename, relative} from 'node:path'
import {styleText} from 'node:util'
import type {ImportReport} from './write.js'

/** The human report of an import: what mapped where, what did not carry over, what to do next. */
export function renderImportReport(report: ImportReport, cwd = process.cwd()): string {
  const rel = (path: string): string => relative(cwd, path) || path
  // The source's full path is in the first line; its line references only need its name.
  const at = (file: string, line?: number): string => `${file === report.source ? basename(file) : rel(file)}${line ? `:${line}` : ''}`
  const out: string[] = []
  const heading = (text: string): number => out.push('', styleText('bold', text))
  out.push(`Imported ${report.groups.length} process group${report.groups.length === 1 ? '' : 's'} from ${rel(report.source)} (${report.kind}).`)
  heading('Mapped')
  for (const m of report.mappings) out.push(`  ${at(m.file, m.line)}  ${m.from}  ->  ${m.to}`)
  heading(report.to === 'apps' ? 'Apps' : 'Groups')
  for (const app of report.apps) {
    out.push(`  ${app.name}  (${rel(app.config)})`)
    for (const name of app.groups) out.push(`    ${name} = ${report.groups.find((g) => g.name === name)?.command}`)
  }
  if (report.warnings.length > 0) {
    heading('Not carried over as is')
    for (const w of report.warnings) out.push(`  ${styleText('yellow', 'warning')} ${at(w.file, w.line)}: ${w.message}`)
  }
  heading('Wrote')
  for (const file of report.files) out.push(`  ${rel(file)}`)
  if (report.steps.length > 0) {
    heading('Next steps')
    for (const step of report.steps) out.push(`  ${step}`)
  }
  return out.join('\n')
}
