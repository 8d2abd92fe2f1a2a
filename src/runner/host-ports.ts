/**
 * How the host reaches a session's instances: where health checks connect, and the public
 * services' URLs. Loopback: the instance's own 127.0.0.x, and the app binds the service port on
 * the host itself. Isolated: the host cannot reach an instance's address, so each goes through
 * a forward from a host port (round-robin over the running instances, fly-proxy-like).
 */
import type {InstanceNetwork, NetworkMode, PortForward} from '../network/network-mode.js'
import type {AppPlan} from './instance-plan.js'

export type CheckTarget = (port: number) => {host: string; port: number}

export class HostPorts {
  readonly #forwards: PortForward[] = []
  readonly #urls = new Map<string, string[]>()

  constructor(private readonly network: NetworkMode) {}

  /** Where the checks of one instance connect; isolated mode forwards each checked port to this instance only. */
  async checkTargets(app: AppPlan, net: InstanceNetwork): Promise<CheckTarget> {
    if (this.network.kind === 'loopback') {
      const host = net.ip.replace(/^::ffff:/, '')
      return (port) => ({host, port})
    }
    const hostPorts = new Map<number, number>()
    for (const port of new Set(app.checks.map((c) => c.port))) {
      hostPorts.set(port, await this.#forward(0, () => [{ip: net.ip, port}]))
    }
    return (port) => ({host: '127.0.0.1', port: hostPorts.get(port)!})
  }

  /**
   * Makes an app's public services reachable, and a Procfile entry's PORT (foreman users open
   * localhost:$PORT; instance i has its own, port + i); `running()` lists its instances that run now.
   */
  async publish(app: AppPlan, running: () => {index: number; net: InstanceNetwork}[]): Promise<void> {
    const urls: string[] = []
    const reach = async (port: number, http: boolean, targets: () => {ip: string; port: number}[]) => {
      const hostPort = this.network.kind === 'loopback' ? port : await this.#forward(port, targets)
      urls.push(`${http ? 'http' : 'tcp'}://localhost:${hostPort}`)
    }
    for (const service of app.services) await reach(service.port, service.http, () => running().map(({net}) => ({ip: net.ip, port: service.port})))
    for (let index = 0; app.port !== undefined && index < app.count; index++) {
      const port = app.port + index
      await reach(port, true, () => running().filter((i) => i.index === index).map(({net}) => ({ip: net.ip, port})))
    }
    this.#urls.set(app.label, urls)
  }

  async #forward(hostPort: number, targets: () => {ip: string; port: number}[]): Promise<number> {
    const forward = await this.network.forward(hostPort, targets)
    this.#forwards.push(forward)
    return forward.hostPort
  }

  /** The public URLs of an app (`app[group]`), as `ps` shows them. */
  urls(label: string): string[] {
    return this.#urls.get(label) ?? []
  }

  async close(): Promise<void> {
    await Promise.all(this.#forwards.map((f) => f.close()))
  }
}
