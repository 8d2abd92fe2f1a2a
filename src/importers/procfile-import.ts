import {HTTP_PORT} from './command.js'
import {PlanBuilder, type ImportPlan} from './plan.js'
import {parseProcfile} from './procfile.js'
import {renderShellCommand} from './shell.js'

/**
 * Procfile → groups (Heroku's conventions, as `fly launch`'s migration guide maps them by hand):
 * `release` becomes `[deploy] release_command`, `web` the group behind `[http_service]`, every
 * other entry a group. foreman/overmind run each command with `sh -c`, so commands a shell would
 * interpret keep their shell.
 */
export function importProcfile(text: string, file: string): ImportPlan {
  const builder = new PlanBuilder('procfile', file)
  const {entries, diagnostics} = parseProcfile(text, file)
  builder.plan.diagnostics.push(...diagnostics)
  for (const entry of entries) {
    const at = {file, line: entry.line}
    const rendered = renderShellCommand(entry.command)
    if (rendered.shell) {
      builder.warn('W_SHELL_WRAPPED', `"${entry.name}" ${rendered.shell}: runs through sh -c, as foreman does`, at)
    }
    if (rendered.signalsStopAtShell) {
      builder.warn('W_SHELL_SIGNALS', `"${entry.name}" is a compound shell command: Fly's kill_signal reaches sh, not the processes it started`, at)
    }
    if (entry.name === 'release') {
      builder.plan.releaseCommand = rendered.command
      builder.map('release', '[deploy] release_command', at)
      continue
    }
    const origin = {file, line: entry.line, name: entry.name}
    const name = builder.label(origin)
    if (name === undefined) continue
    builder.add({name, origin, command: rendered.command, ...(entry.name === 'web' ? {http: true} : {})})
  }
  // Heroku gives every dyno $PORT; Fly sets none. 8080 is the internal_port of [http_service].
  const port = entries.find((e) => /\$\{?PORT\b/.test(e.command))
  if (port) {
    builder.plan.env.PORT = HTTP_PORT
    builder.map('$PORT', `[env] PORT = "${HTTP_PORT}" (the [http_service] internal_port)`, {file, line: port.line})
  }
  if (entries.length > 0 && !entries.some((e) => e.name === 'web')) {
    builder.warn('W_NO_WEB', 'no "web" entry: no [http_service] is written; add one for the group that serves HTTP')
  }
  return builder.plan
}
