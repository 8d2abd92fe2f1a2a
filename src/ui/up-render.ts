/**
 * What `up`, `ps`, `exec` show: startup progress as listr2 tasks (one per app: starting, then
 * started or healthy, or failed), the URLs and DNS address once running, and the `ps` table.
 */
import {styleText} from 'node:util'
import type {Session, SessionStatus, InstanceView} from '../runner/index.js'
import {formatUptime, renderTable} from './table.js'

/**
 * Runs the startup tasks. In a terminal listr2 redraws them (and holds back the apps' log lines
 * until it is done); elsewhere it prints plain lines; under `--json` nothing. Resolves with the
 * apps that failed to come up (the others keep running).
 */
export async function showStartup(session: Session, options: {healthy: boolean; timeoutMs?: number; json: boolean; shown?: () => void}): Promise<string[]> {
  const {Listr} = await import('listr2')
  const failed: string[] = []
  // listr2 prints a task's title just before running it: once the last one runs, all are shown.
  const waiting = session.plan.apps.filter((app) => app.count > 0).length
  let begun = 0
  const begin = () => ++begun === waiting && options.shown?.()
  if (waiting === 0) options.shown?.()
  const goal = options.healthy ? 'healthy' : 'started'
  const keysOf = (label: string) => session.status().instances.filter((i) => `${i.app}[${i.group}]` === label).map((i) => `${label}.${i.index}`)
  const tasks = new Listr(session.plan.apps.filter((app) => app.count > 0).map((app) => ({
    title: `${app.label} starting${app.count > 1 ? ` (${app.count} instances)` : ''}`,
    task: async (_ctx: unknown, task: {title: string}) => {
      begin()
      try {
        await session.waitUntil(options.healthy ? 'healthy' : 'started', {keys: keysOf(app.label), ...(options.timeoutMs === undefined ? {} : {timeoutMs: options.timeoutMs})})
        task.title = `${app.label} ${goal}`
      } catch (error) {
        // Ctrl-C while starting: not a failure, and `up` stops and exits 0.
        if ((error as {code?: unknown}).code === 'E_INTERRUPTED') return void (task.title = `${app.label} stopped`)
        failed.push(app.label)
        task.title = `${app.label} failed`
        throw error
      }
    },
  })), {
    // listr2's own SIGINT handler would exit(127) mid-start, leaving the stop to the watchdog.
    concurrent: true, exitOnError: false, registerSignalListeners: false,
    renderer: options.json ? 'silent' : 'default', fallbackRenderer: 'simple',
    rendererOptions: {collapseErrors: false}
  })
  await tasks.run()
  return failed
}

/** The lines printed once the apps are up: public URLs, the DNS server, how to stop. */
export function renderRunning(status: SessionStatus, detached: boolean): string {
  const urls = new Map<string, string[]>()
  for (const i of status.instances) if (i.urls.length > 0) urls.set(`${i.app}[${i.group}]`, i.urls)
  const lines = [...urls].map(([label, list]) => `${label}  ${list.map((u) => styleText('underline', u)).join('  ')}`)
  lines.push(`.internal DNS on ${status.dns.address}:${status.dns.port} (${status.network} network)`)
  lines.push(detached ? 'Running in the background: flotilla ps, flotilla logs -f, flotilla down.' : 'Press Ctrl-C to stop (twice to stop at once).')
  return lines.join('\n')
}

const STATE_STYLE: Partial<Record<InstanceView['state'], Parameters<typeof styleText>[0]>> = {
  running: 'green', crashed: 'red', fatal: 'red', backoff: 'yellow', starting: 'yellow', stopping: 'yellow', stopped: 'dim',
}
const HEALTH_STYLE: Partial<Record<InstanceView['health'], Parameters<typeof styleText>[0]>> = {passing: 'green', critical: 'red', unknown: 'yellow'}

export function renderPs(status: SessionStatus, now = Date.now()): string {
  const paint = (style: Parameters<typeof styleText>[0] | undefined, text: string) => (style ? styleText(style, text) : text)
  return renderTable(status.instances, [
    {header: 'APP', cell: (i) => i.app},
    {header: 'GROUP', cell: (i) => i.group},
    {header: 'INSTANCE', cell: (i) => `${i.index} ${styleText('dim', i.id)}`},
    {header: 'PID', cell: (i) => (i.pid === null ? '-' : String(i.pid))},
    {header: 'ADDRESS', cell: (i) => i.ip},
    {header: 'STATE', cell: (i) => paint(STATE_STYLE[i.state], i.crashLoop ? `${i.state} (crash loop)` : i.state)},
    {header: 'HEALTH', cell: (i) => paint(HEALTH_STYLE[i.health], i.health === 'none' ? '-' : i.health)},
    {header: 'RESTARTS', cell: (i) => String(i.restarts)},
    {header: 'UPTIME', cell: (i) => (i.startedAt === null || i.state !== 'running' ? '-' : formatUptime(now - Date.parse(i.startedAt)))},
  ])
}
