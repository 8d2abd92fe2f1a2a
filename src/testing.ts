/**
 * `flotilla/testing`: the public test API. `startDns()` runs a registry and its `.internal` DNS
 * server in-process on a free port, so a project's own tests (node:test, vitest, jest) resolve
 * Fly names with three lines of setup:
 *
 *   const dns = await startDns()
 *   dns.register({app: 'api'})                    // api.internal → ::ffff:127.0.0.1
 *   await request(`http://api.internal:${port}/`, {dispatcher: dns.dispatcher})
 */
import {randomBytes} from 'node:crypto'
import type {Agent} from 'undici'
import {queryDns} from './network/dns-client.js'
import {internalDispatcher} from './network/dispatcher.js'
import {Registry, registerEnv, startDnsServer, type DnsServer, type Instance} from './network/index.js'

export {internalDispatcher} from './network/dispatcher.js'
export {Registry, registerEnv, type DnsServer, type Instance} from './network/index.js'

/** What `register` needs; the rest defaults to one started instance reachable on 127.0.0.1. */
export type InstanceInput = Pick<Instance, 'app'> & Partial<Instance>

export interface DnsHarness {
  registry: Registry
  server: DnsServer
  /** Adds (or replaces) an instance; defaults: a random 14-hex id, group "app", region "lcl",
   *  ip "::ffff:127.0.0.1" (reaches servers on 127.0.0.1 and ::), state "started". */
  register(instance: InstanceInput): Instance
  unregister(app: string, id?: string): void
  /** The answers as `dig +short` prints them ([] for NXDOMAIN or NODATA). */
  resolve(name: string, type?: string): Promise<string[]>
  /** An undici Dispatcher resolving `.internal` through this server. */
  dispatcher: Agent
  /** Env for child Node processes (preload through NODE_OPTIONS, FLOTILLA_DNS). */
  env: Record<string, string>
  stop(): Promise<void>
}

export async function startDns(opts: {instances?: InstanceInput[]; ttl?: number} = {}): Promise<DnsHarness> {
  const registry = new Registry()
  const complete = (input: InstanceInput): Instance => ({
    id: randomBytes(7).toString('hex'),
    group: 'app',
    region: 'lcl',
    ip: '::ffff:127.0.0.1',
    state: 'started',
    ...input,
  })
  registry.replace((opts.instances ?? []).map(complete))
  const server = await startDnsServer({registry, port: 0, ...(opts.ttl === undefined ? {} : {ttl: opts.ttl})})
  const dispatcher = internalDispatcher(server)
  return {
    registry,
    server,
    register(input) {
      const instance = complete(input)
      registry.upsert(instance)
      return instance
    },
    unregister(app, id) {
      for (const instance of registry.instances()) if (instance.app === app && (id === undefined || instance.id === id)) registry.remove(app, instance.id)
    },
    async resolve(name, type = 'AAAA') {
      return (await queryDns(server, name, type)).answers.map((a) => a.data)
    },
    dispatcher,
    env: registerEnv(server),
    async stop() {
      await dispatcher.close()
      await server.close()
    },
  }
}
export {startWorkspace, type StartedWorkspace} from './runner/index.js'
