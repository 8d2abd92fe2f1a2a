import {HTTP_PORT} from './command.js'
import {commandListener, ipv4ListenerProblem, type Listener} from './listener.js'
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
    const listener = commandListener(entry.command)
    const problem = ipv4ListenerProblem(listener)
    if (problem) builder.warn('W_IPV4_LISTENER', `"${entry.name}" ${problem}`, at)
    if (entry.name !== 'web') {
      builder.add({name, origin, command: rendered.command})
      continue
    }
    builder.add({name, origin, command: rendered.command, http: true, ...(typeof listener.port === 'number' ? {port: listener.port} : {})})
    mapWebPort(builder, listener, at)
  }
  // Heroku gives every dyno $PORT; Fly sets none. 8080 is the internal_port of [http_service].
  const port = entries.find((e) => /\$\{?PORT\b/.test(e.command))
  if (port && builder.plan.env.PORT === undefined) {
    builder.plan.env.PORT = HTTP_PORT
    builder.map('$PORT', `[env] PORT = "${HTTP_PORT}" (the [http_service] internal_port)`, {file, line: port.line})
  }
  if (entries.length > 0 && !entries.some((e) => e.name === 'web')) {
    builder.warn('W_NO_WEB', 'no "web" entry: no [http_service] is written; add one for the group that serves HTTP')
  }
  return builder.plan
}

/** Says where web's internal_port came from; a web that names none gets 8080 through $PORT. */
function mapWebPort(builder: PlanBuilder, listener: Listener, at: {file: string; line: number}): void {
  if (listener.port !== undefined) {
    builder.map(listener.portFrom!, `[http_service] internal_port = ${listener.port === '$PORT' ? HTTP_PORT : listener.port}`, at)
    return
  }
  // Heroku's contract: web listens on $PORT, which servers (gunicorn, puma, rails) read themselves.
  builder.warn('W_HTTP_PORT', `"web" does not say which port it listens on (no --bind, --port, -p or $PORT in its command): [http_service] internal_port = ${HTTP_PORT} with [env] PORT = "${HTTP_PORT}" assumes it listens on $PORT, as Heroku requires; if it does not, set internal_port to its port`, at)
  builder.map('web (no port named)', `[http_service] internal_port = ${HTTP_PORT}, [env] PORT = "${HTTP_PORT}"`, at)
  builder.plan.env.PORT = HTTP_PORT
}
