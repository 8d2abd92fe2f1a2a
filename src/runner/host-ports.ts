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
      const forward = await this.network.forward(0, () => [{ip: net.ip, port}])
      this.#forwards.push(forward)
      hostPorts.set(port, forward.hostPort)
    }
    return (port) => ({host: '127.0.0.1', port: hostPorts.get(port)!})
  }

  /** Makes an app's public services reachable; `running()` lists its instances that run now. */
  async publish(app: AppPlan, running: () => InstanceNetwork[]): Promise<void> {
    const urls: string[] = []
    for (const service of app.services) {
      let hostPort = service.port
      if (this.network.kind !== 'loopback') {
        const forward = await this.network.forward(service.port, () => running().map((net) => ({ip: net.ip, port: service.port})))
        this.#forwards.push(forward)
        hostPort = forward.hostPort
      }
      urls.push(`${service.http ? 'http' : 'tcp'}://localhost:${hostPort}`)
    }
    this.#urls.set(app.label, urls)
  }

  /** The public URLs of an app (`app[group]`), as `ps` shows them. */
  urls(label: string): string[] {
    return this.#urls.get(label) ?? []
  }

  async close(): Promise<void> {
    await Promise.all(this.#forwards.map((f) => f.close()))
  }
}
