/** Health checks against real servers run as supervised instances. */
import assert from 'node:assert/strict'
import {createServer as createHttpServer} from 'node:http'
import {createServer} from 'node:net'
import {test} from 'node:test'
import type {CheckSpec} from '../../src/runner/health-check.js'
import {type HealthEvent, Supervisor} from '../../src/runner/supervisor.js'
import {killMarked, newMarker, spec, waitFor} from './support.js'

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

function setup(t: {after(fn: () => unknown): void}) {
  const marker = newMarker()
  const supervisor = new Supervisor()
  const health: HealthEvent[] = []
  supervisor.on('health', (event: HealthEvent) => health.push(event))
  t.after(async () => {
    await supervisor.close()
    killMarked(marker)
  })
  return {marker, supervisor, health}
}

const check = (port: number, overrides: Partial<CheckSpec> = {}): CheckSpec =>
  ({name: 'alive', type: 'http', host: '127.0.0.1', port, graceMs: 0, intervalMs: 30, timeoutMs: 1000, path: '/healthz', ...overrides})

// Answers 200 to its first three requests, then 500: an app that breaks while running.
const degrading = `
let served = 0
require('node:http').createServer((req, res) => {
  res.statusCode = req.url === '/healthz' && req.method === 'HEAD' && req.headers['x-check'] === 'yes' && ++served <= 3 ? 200 : 500
  res.end()
}).listen(Number(process.env.PORT), '127.0.0.1')`

test('http: unknown, then passing (waitHealthy resolves), then critical when the app starts failing', async (t) => {
  const {marker, supervisor, health} = setup(t)
  const port = await freePort()
  const key = supervisor.start(spec(marker, {argv: [process.execPath, '-e', degrading], env: {...spec(marker, {argv: []}).env, PORT: String(port)},
    checks: [check(port, {method: 'head', headers: {'x-check': 'yes'}})]}))
  assert.equal(supervisor.status()[0]!.health, 'unknown')
  const failing = waitFor<HealthEvent>(supervisor, 'health', (e) => e.health === 'critical' && e.previous === 'passing')
  await supervisor.waitHealthy()
  const critical = await failing
  assert.equal(critical.result?.output, 'HTTP 500')
  assert.equal(critical.check, 'alive')
  assert.equal(supervisor.status()[0]!.checks.alive!.status, 'critical')
  await supervisor.stop(key)
  assert.equal(health.at(-1)!.health, 'unknown', 'a stopped instance has no health')
})

test('tcp: passing while something listens, critical with the reason when nothing does', async (t) => {
  const {marker, supervisor} = setup(t)
  const [open, closed] = [await freePort(), await freePort()]
  const listener = `require('node:net').createServer(s => s.end()).listen(${open}, '127.0.0.1')`
  supervisor.start(spec(marker, {argv: [process.execPath, '-e', listener], checks: [check(open, {type: 'tcp', name: 'tcp'})]}))
  const refused = supervisor.start(spec(marker, {app: 'other', argv: ['sleep', '600'], checks: [check(closed, {type: 'tcp', name: 'tcp'})]}))
  const failing = waitFor<HealthEvent>(supervisor, 'health', (e) => e.key === refused && e.health === 'critical')
  await supervisor.waitHealthy({keys: [supervisor.status()[0]!.key]})
  assert.match((await failing).result!.output, /ECONNREFUSED/)
})

test('http: a server that never answers fails with a timeout', async (t) => {
  const {marker, supervisor} = setup(t)
  const silent = createHttpServer(() => {}).listen(0, '127.0.0.1')
  t.after(() => silent.closeAllConnections())
  t.after(() => new Promise((resolve) => silent.close(resolve)))
  await new Promise((resolve) => silent.once('listening', resolve))
  const {port} = silent.address() as {port: number}
  supervisor.start(spec(marker, {argv: ['sleep', '600'], checks: [check(port, {timeoutMs: 100})]}))
  const event = await waitFor<HealthEvent>(supervisor, 'health', (e) => e.health === 'critical')
  assert.equal(event.result?.output, 'timeout after 100 ms')
})

test('waitHealthy honours an abort signal', async (t) => {
  const {marker, supervisor} = setup(t)
  supervisor.start(spec(marker, {argv: ['sleep', '600'], checks: [check(await freePort(), {graceMs: 60_000})]}))
  await assert.rejects(supervisor.waitHealthy({signal: AbortSignal.timeout(50)}), {name: 'TimeoutError'})
})
