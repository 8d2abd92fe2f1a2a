/**
 * Runs a Procfile (`name: command`, each through /bin/sh -c) under the Supervisor: the stand-in
 * for `flotilla up` that the benchmark and the orphan tests drive. Exits once every instance has
 * ended on its own; the first SIGINT, SIGTERM or SIGHUP stops them all (130/143/129), a second
 * one SIGKILLs them.
 *
 * Environment: DRIVER_KILL_TIMEOUT_MS (default 5000), DRIVER_FORMAT=text|json.
 * Prints `driver: N running` on stderr once every instance has started.
 */
import {readFileSync} from 'node:fs'
import {LogMux} from '../../src/runner/log-mux.js'
import {Supervisor, type StateEvent} from '../../src/runner/supervisor.js'

const file = process.argv[2] ?? 'Procfile'
const entries = readFileSync(file, 'utf8')
  .split(/\r?\n/)
  .map((line) => /^([A-Za-z0-9_-]+):\s*(.+)$/.exec(line))
  .filter((match) => match !== null)
const env = Object.fromEntries(Object.entries(process.env).filter((pair): pair is [string, string] => pair[1] !== undefined))
const mux = new LogMux(process.stdout, {format: process.env.DRIVER_FORMAT === 'json' ? 'json' : 'text'})
const supervisor = new Supervisor({logs: mux})

let running = 0
let ended = 0
supervisor.on('state', (event: StateEvent) => {
  if (event.state === 'running' && ++running === entries.length) process.stderr.write(`driver: ${running} running\n`)
  if (event.state === 'stopped' || event.state === 'crashed' || event.state === 'fatal') {
    if (++ended === entries.length && !stopping) void supervisor.close()
  }
})
for (const [, name, command] of entries) {
  supervisor.start({app: name!, group: 'app', index: 0, machineId: name!, argv: ['/bin/sh', '-c', command!], cwd: process.cwd(),
    env, killSignal: 'SIGINT', killTimeoutMs: Number(process.env.DRIVER_KILL_TIMEOUT_MS ?? 5000),
    restart: {policy: 'never'}, checks: []})
}

let stopping = false
const exitCodes = {SIGHUP: 129, SIGINT: 130, SIGTERM: 143}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return supervisor.killAll()
    stopping = true
    void supervisor.close().then(() => process.exit(exitCodes[signal]))
  })
}
