// Real namespaces, real servers, real DNS: the isolated network end to end. As root (CI), the
// last test runs this whole file again as `nobody` to prove no privilege is needed.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {once} from 'node:events'
import {mkdtemp, readdir, readFile, readlink, rm} from 'node:fs/promises'
import {createServer as createHttpServer} from 'node:http'
import {connect, createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {after, before, describe, test} from 'node:test'
import {Registry, startDnsServer, stableMachineId, type DnsServer} from '../../../src/network/index.js'
import {createIsolatedNetwork, ipv4OnlyWarning, probeIsolated} from '../../../src/network/isolated/index.js'
import type {InstanceNetwork, NetworkMode} from '../../../src/network/network-mode.js'
import {repoRoot} from '../../helpers/repo.js'
import {echoServer, nameServer, runIn, startIn} from './support.js'

const probe = await probeIsolated()
const skip = probe.available ? false : `the kernel or system forbids it here: ${probe.reason}`
const cleanups: (() => unknown)[] = []
const suite = {after: (fn: () => unknown) => void cleanups.push(fn)}

/** Sends `payload` through a connection to 127.0.0.1:port, half-closes, returns all it got back. */
function exchange(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({host: '127.0.0.1', port, allowHalfOpen: true})
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', reject)
    socket.on('end', () => (socket.end(), resolve(Buffer.concat(chunks))))
    socket.end(payload)
  })
}

const get = (url: string): Promise<string> => fetch(url).then((r) => r.text())

describe('isolated network', {skip}, () => {
  let network: NetworkMode
  let server: DnsServer
  let alpha: InstanceNetwork
  let beta: InstanceNetwork

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-isolated-'))
    cleanups.push(() => rm(dir, {recursive: true, force: true}))
    // In the order `up` does it: the network first, then the DNS server it relays to.
    network = await createIsolatedNetwork({sessionDir: dir, dnsUpstream: () => server})
    cleanups.push(() => network.close())
    const registry = new Registry()
    server = await startDnsServer({registry, port: 0, bind: ['127.0.0.1', ...network.dnsBind]})
    cleanups.push(() => server.close())
    ;[alpha, beta] = await Promise.all(['alpha', 'beta'].map(async (app) => {
      const id = stableMachineId(app)
      const instance = await network.attach({app, group: 'web', index: 0, machineId: id})
      registry.upsert({id, app, group: 'web', region: 'ams', ip: instance.ip, state: 'started'})
      await startIn(suite, instance, nameServer, app, '::', '8080')
      return instance
    })) as [InstanceNetwork, InstanceNetwork]
  })
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup()
  })

  test('two instances both bind [::]:8080 and reach each other by address and by <app>.internal', async () => {
    assert.match(alpha.ip, /^fdaa:0:1:a7b:1:[0-9a-f]{1,4}:[0-9a-f]{1,4}:2$/)
    assert.notEqual(alpha.ip, beta.ip)
    const fetchAll = (...urls: string[]) =>
      `Promise.all(${JSON.stringify(urls)}.map((u) => fetch(u).then((r) => r.text()))).then((a) => console.log(a.join(' ')))`
    const fromAlpha = await runIn(alpha, [process.execPath, '-e', fetchAll(`http://[${beta.ip}]:8080`, 'http://beta.internal:8080', 'http://localhost:8080')])
    assert.equal(fromAlpha.stdout.trim(), 'beta beta alpha', fromAlpha.stderr)
    const fromBeta = await runIn(beta, [process.execPath, '-e', fetchAll('http://alpha.internal:8080', 'http://fly-local-6pn:8080')])
    assert.equal(fromBeta.stdout.trim(), 'alpha beta', fromBeta.stderr)
  })

  test('getent, dig and dns.lookup inside resolve .internal names and fly-local-6pn through fdaa::3', async () => {
    assert.equal((await runIn(alpha, ['cat', '/etc/resolv.conf'])).stdout, 'nameserver fdaa::3\n')
    const getent = await runIn(alpha, ['getent', 'ahosts', 'beta.internal'])
    assert.match(getent.stdout, new RegExp(`^${beta.ip}\\s+STREAM beta.internal`, 'm'))
    assert.match((await runIn(alpha, ['getent', 'ahosts', 'fly-local-6pn'])).stdout, new RegExp(`^${alpha.ip}\\s`, 'm'))
    assert.equal((await runIn(alpha, ['getent', 'hosts', 'nope.internal'])).code, 2)
    for (const transport of ['+notcp', '+tcp']) {
      const dig = await runIn(alpha, ['dig', '+short', '+time=2', '+tries=1', transport, 'AAAA', 'beta.internal'])
      assert.equal(dig.stdout.trim(), beta.ip, `dig ${transport}: ${dig.stdout}${dig.stderr}`)
    }
    // AAAA only, as on Fly: an IPv4-only client finds nothing.
    assert.equal((await runIn(alpha, ['dig', '+short', '+time=2', '+tries=1', 'A', 'beta.internal'])).stdout.trim(), '')
    const lookup = await runIn(beta, [process.execPath, '-e', `const dns = require('node:dns').promises
      Promise.all(['alpha.internal', 'fly-local-6pn'].map((n) => dns.lookup(n))).then((a) => console.log(a.map((r) => r.address).join(' ')))`])
    assert.equal(lookup.stdout.trim(), `${alpha.ip} ${beta.ip}`, lookup.stderr)
  })

  test('an IPv4-only listener is detected, and is unreachable over .internal as on Fly', async (t) => {
    await startIn(t, alpha, nameServer, 'v4', '0.0.0.0', '9090')
    const listeners = await alpha.listeners!()
    assert.ok(listeners.some((l) => l.address === '::' && l.port === 8080), JSON.stringify(listeners))
    assert.match(ipv4OnlyWarning('alpha', listeners, 9090) ?? '', /^alpha listens on 0\.0\.0\.0:9090 only; \.internal traffic is IPv6: bind \[::\]:9090/)
    assert.equal(ipv4OnlyWarning('alpha', listeners, 8080), undefined)
    const attempt = await runIn(beta, [process.execPath, '-e', `fetch('http://alpha.internal:9090').then(() => console.log('reached'), (e) => console.log(e.cause.code))`])
    assert.equal(attempt.stdout.trim(), 'ECONNREFUSED')
  })

  test('host ports forward round-robin, skip a dead target, and carry 200 concurrent connections intact', {timeout: 60_000}, async (t) => {
    const byName = await network.forward(0, () => [{ip: alpha.ip, port: 8080}, {ip: beta.ip, port: 8080}])
    t.after(() => byName.close())
    const url = `http://127.0.0.1:${byName.hostPort}`
    const names: string[] = []
    for (let i = 0; i < 4; i++) names.push(await get(url))
    assert.deepEqual(names, ['alpha', 'beta', 'alpha', 'beta'])

    const failover = await network.forward(0, () => [{ip: alpha.ip, port: 1}, {ip: beta.ip, port: 8080}])
    t.after(() => failover.close())
    for (let i = 0; i < 3; i++) assert.equal(await get(`http://127.0.0.1:${failover.hostPort}`), 'beta')

    const none = await network.forward(0, () => [])
    t.after(() => none.close())
    assert.equal((await exchange(none.hostPort, Buffer.from('hello'))).length, 0)

    await Promise.all([alpha, beta].map((instance) => startIn(t, instance, echoServer, '7070')))
    const echo = await network.forward(0, () => [{ip: alpha.ip, port: 7070}, {ip: beta.ip, port: 7070}])
    t.after(() => echo.close())
    const payloads = Array.from({length: 200}, (_, i) => randomBytes(32 * 1024 + i))
    const answers = await Promise.all(payloads.map((p) => exchange(echo.hostPort, p)))
    assert.equal(answers.filter((a, i) => a.equals(payloads[i]!)).length, 200)

    // Closing a forward frees the port at once, though a connection through it is still open.
    const open = connect({host: '127.0.0.1', port: echo.hostPort})
    t.after(() => open.destroy())
    open.write('x')
    await once(open, 'data')
    await echo.close()
    await assert.rejects(exchange(echo.hostPort, Buffer.from('late')), {code: 'ECONNREFUSED'})
  })

  test('outbound connections go through the egress proxy to what the host can reach', async (t) => {
    // 127.0.0.2 is the host's own here: inside an instance the same address is its loopback.
    const web = createHttpServer((req, res) => res.end(`host saw ${req.method} ${req.url}`))
    const banner = createServer((socket) => socket.end('220 speaks first\n'))
    for (const server of [web, banner]) {
      server.listen(0, '127.0.0.2')
      await once(server, 'listening')
      t.after(() => server.close())
    }
    const [webPort, bannerPort] = [web, banner].map((s) => (s.address() as {port: number}).port)
    const curl = (...args: string[]) => runIn(alpha, ['curl', '-sS', '--max-time', '5', ...args])
    const plain = await curl(`http://127.0.0.2:${webPort}/plain?q=1`)
    assert.equal(plain.stdout, 'host saw GET /plain?q=1', plain.stderr)
    assert.equal((await curl('--proxytunnel', `http://127.0.0.2:${webPort}/tunnel`)).stdout, 'host saw GET /tunnel')
    assert.match((await curl('--noproxy', '*', `http://127.0.0.2:${webPort}/`)).stderr, /Couldn't connect|refused/i, 'no way out but the proxy')
    const refused = await curl('-w', '%{http_code}', `http://127.0.0.2:1/`)
    assert.match(refused.stdout, /flotilla egress proxy: 127\.0\.0\.2:1: ECONNREFUSED\n502$/)
    // A server that speaks first is heard: nothing was read before the socket was handed over.
    const tunnel = await runIn(alpha, [process.execPath, '-e', `
      const s = require('node:net').connect(3128, '172.19.0.1', () => s.write('CONNECT 127.0.0.2:${bannerPort} HTTP/1.1\\r\\n\\r\\n'))
      let got = ''; s.on('data', (d) => (got += d)).on('end', () => console.log(JSON.stringify(got)))`])
    assert.equal(JSON.parse(tunnel.stdout), 'HTTP/1.1 200 Connection Established\r\n\r\n220 speaks first\n', tunnel.stderr)
  })

  test('a failed attach is undone; release tears an instance down', async () => {
    if (probe.checks.some((c) => c.name === 'hostname' && c.ok && !c.fix)) {
      // The kernel refuses a 65+ character hostname, half-way through making the namespace.
      await assert.rejects(network.attach({app: 'gamma', group: 'web', index: 0, machineId: 'x'.repeat(80)}), {code: 'E_NETWORK_ATTACH'})
    }
    const gamma = await network.attach({app: 'gamma', group: 'web', index: 0, machineId: stableMachineId('gamma')})
    assert.equal((await runIn(gamma, ['true'])).code, 0)
    await gamma.release()
    assert.notEqual((await runIn(gamma, ['true'])).code, 0)
  })

  test('after SIGKILL of the owner nothing is left: processes, namespaces, forwarded port', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-owner-'))
    t.after(() => rm(dir, {recursive: true, force: true}))
    const owner = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/network/isolated/owner.ts'), dir], {cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit']})
    t.after(() => owner.kill('SIGKILL'))
    const line = await new Promise<string>((resolve) => createInterface({input: owner.stdout}).once('line', resolve))
    const made = JSON.parse(line) as {appPid: number; hostPort: number}
    const payload = randomBytes(1000)
    assert.ok((await exchange(made.hostPort, payload)).equals(payload))
    const descendants = await descendantsOf(owner.pid!)
    const namespaces = new Set(await Promise.all(descendants.map((pid) => readlink(`/proc/${pid}/ns/net`).catch(() => ''))))
    namespaces.delete(await readlink('/proc/self/ns/net'))
    namespaces.delete('')
    assert.ok(descendants.includes(made.appPid) && namespaces.size === 2, `holder's and instance's namespaces: ${[...namespaces].join(' ')}`)

    owner.kill('SIGKILL')
    await once(owner, 'exit')
    let left: string[] = []
    for (let i = 0; i < 50; i++) {
      left = [...(await liveProcesses(descendants)), ...(await processesIn(namespaces))]
      if (left.length === 0) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.deepEqual(left, [])
    await assert.rejects(exchange(made.hostPort, payload), {code: 'ECONNREFUSED'})
    assert.deepEqual(await readdir(join(dir, 'net')), [])
  })

  test('the same checks pass as an unprivileged user', {skip: process.getuid?.() !== 0 || process.env.FLOTILLA_TEST_AS_NOBODY === '1'}, async () => {
    const {NODE_TEST_CONTEXT: _, ...env} = process.env // else the inner runner thinks it is nested and runs nothing
    const child = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--import', 'tsx', '--test',
      join(repoRoot, 'test/network/isolated/isolated.test.ts')], {cwd: repoRoot, env: {...env, HOME: tmpdir(), FLOTILLA_TEST_AS_NOBODY: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let output = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
    const [code] = (await once(child, 'close')) as [number]
    assert.equal(code, 0, output)
    assert.match(output, /# skipped 1\n/) // only this test itself, nothing for lack of privilege
  })
})

async function parentOf(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || undefined
}

async function allPids(): Promise<number[]> {
  return (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number)
}

async function descendantsOf(root: number): Promise<number[]> {
  const parents = new Map<number, number | undefined>()
  for (const pid of await allPids()) parents.set(pid, await parentOf(pid))
  const found = [root]
  for (let grew = true; grew; ) {
    grew = false
    for (const [pid, parent] of parents) if (parent !== undefined && found.includes(parent) && !found.includes(pid)) (found.push(pid), (grew = true))
  }
  return found
}

async function liveProcesses(pids: number[]): Promise<string[]> {
  const alive = await Promise.all(pids.map(async (pid) => {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
    return stat && !/\) Z /.test(stat) ? `pid ${pid}: ${stat.split(' ').slice(0, 3).join(' ')}` : undefined
  }))
  return alive.filter((a): a is string => a !== undefined)
}

async function processesIn(namespaces: Set<string>): Promise<string[]> {
  const inside = await Promise.all((await allPids()).map(async (pid) => {
    const ns = await readlink(`/proc/${pid}/ns/net`).catch(() => '')
    return namespaces.has(ns) ? `pid ${pid} in ${ns}` : undefined
  }))
  return inside.filter((a): a is string => a !== undefined)
}
