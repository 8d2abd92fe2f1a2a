import {basename} from 'node:path'
import type {SplitPlan, SplitWarning} from './types.js'

/** The `--json` document of `flotilla split` (architecture.md contract). */
export interface SplitReport {
  apps: {name: string; group: string; config: string; public: boolean}[]
  files: string[]
  warnings: SplitWarning[]
  steps: string[]
}

/**
 * The human report: what each group became and received, then the next steps in order. Warnings
 * are rendered separately (renderWarnings) because they go to stderr.
 */
export function renderSplitReport(
  plan: SplitPlan,
  report: SplitReport,
  opts: {source: string; mode: 'write' | 'dry-run' | 'check'; changed: string[]},
): string {
  const original = plan.originalApp ?? '(unnamed)'
  const width = Math.max(...plan.apps.map((app) => app.name.length))
  const lines = [`${opts.mode === 'write' ? 'Split' : 'Would split'} ${opts.source} (app ${original}) into ${plan.apps.length} apps:`, '']
  plan.apps.forEach((app, i) => {
    const roles = [app.public ? `keeps app ${original} (its hostname, IPs, certificates, volumes, secrets)` : 'new app', app.release ? 'runs release_command' : '']
    lines.push(`  ${app.name.padEnd(width)}  group ${app.group} -> ${report.apps[i]?.config ?? app.config}; ${roles.filter(Boolean).join(', ')}`)
    for (const item of app.received) lines.push(`  ${' '.repeat(width)}    ${item}`)
    for (const change of app.changes) lines.push(`  ${' '.repeat(width)}    ~ ${change}`)
  })
  const unchanged = report.files.length - opts.changed.length
  const verb = opts.mode === 'write' ? 'Wrote' : 'Would write'
  lines.push('', opts.changed.length ? `${verb} ${opts.changed.join(', ')}${unchanged ? ` (${unchanged} unchanged)` : ''}.` : 'All files are already up to date.')
  lines.push('', 'Next steps, in order (run from the directory you deploy from):')
  report.steps.forEach((step, i) => lines.push(`  ${String(i + 1).padStart(2)}. ${step}`))
  const release = plan.apps.find((app) => app.release)
  const kept = plan.apps.find((app) => app.name === plan.originalApp)
  lines.push('')
  if (release) lines.push(`${release.name} deploys first so its release_command runs before the other apps start.`)
  if (kept) lines.push(`Deploying ${kept.name} with its new config removes the Machines of the groups that moved out of it; deploy the new apps right after, or their work pauses in between.`)
  lines.push(sourceAdvice(opts.source, original))
  return lines.join('\n')
}

/**
 * The source stays: `split SOURCE --check` (the generated CI's check job) compares the split files
 * with it. What must not happen is a deploy of it, and a bare `fly deploy` reads ./fly.toml.
 */
function sourceAdvice(source: string, original: string): string {
  const bare = basename(source) === 'fly.toml' ? `; a bare \`fly deploy\` reads ${source}, so always pass -c` : ''
  return `Keep ${source} as the source of the split (\`flotilla split --check\`, which the generated CI runs, checks the new files against it): do not delete or rename it. `
    + `Never deploy it: it still describes app ${original} with every group, and deploying it would put the moved groups back into ${original}${bare}.`
}

/** `warning: fly.toml: env.REDIS_URL: message [CODE]`, one line each (paths are keys in the source). */
export function renderWarnings(warnings: SplitWarning[], source: string): string {
  return warnings.map((w) => `warning: ${source}: ${w.path ? `${w.path}: ` : ''}${w.message} [${w.code}]`).join('\n')
}
