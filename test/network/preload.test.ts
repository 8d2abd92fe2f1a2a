import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {once} from 'node:events'
import {writeFile} from 'node:fs/promises'
import {createServer, type IncomingMessage} from 'node:http'
import {connect, type AddressInfo, type Socket} from 'node:net'
import {join} from 'node:path'
import {test} from 'node:test'
import {promisify} from 'node:util'
import {request} from 'undici'
import {startDns} from '../../src/testing.js'
import {tempDir} from '../helpers/repo.js'

const run = promisify(execFile)

/** An HTTP server on 127.0.0.1 answering with `name`, closed after the test. */
async function httpServer(t: {after(fn: () => unknown): void}, name: string): Promise<number> {
  const server = createServer((_req, res) => res.end(name))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => server.close())
  return (server.address() as AddressInfo).port
}

const child = `
import dns from 'node:dns'
import {lookup} from 'node:dns/promises'
import http from 'node:http'
const port = Number(process.argv[2])
const out = {undici7: Symbol.for('undici.globalDispatcher.2') in globalThis}
const settle = (p) => p.then((v) => v, (e) => ({error: e.code}))
out.http = await new Promise((resolve) => http.get('http://web.internal:' + port + '/', (res) => {
  let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => resolve(body))
}).on('error', (e) => resolve({error: e.code})))
out.fetch = await settle(fetch('http://WEB.internal.:' + port + '/').then((r) => r.text()))
out.all = await lookup('web.internal', {all: true})
out.one = await lookup('web.internal')
out.family4 = await settle(lookup('web.internal', {family: 4}))
out.callback = await new Promise((resolve) => dns.lookup('web.internal', 6, (e, address, family) => resolve([e && e.code, address, family])))
out.callbackAll = await new Promise((resolve) => dns.lookup('web.internal', {all: true}, (e, list) => resolve(list)))
out.stopped = await settle(lookup('idle.internal'))
out.nope = await settle(lookup('nope.internal'))
out.local = await lookup('fly-local-6pn')
out.localhost = (await lookup('localhost', {family: 4})).address
console.log(JSON.stringify(out))
`

test('the preload makes http, fetch and dns.lookup in a child node process resolve .internal', async (t) => {
  const port = await httpServer(t, 'hello from web')
  const dns = await startDns({instances: [{app: 'web'}, {app: 'idle', state: 'stopped'}]})
  t.after(() => dns.stop())
  const dir = await tempDir(t)
  await writeFile(join(dir, 'child.mjs'), child)
  const env = {...process.env, ...dns.env, FLOTILLA_LOCAL_6PN: 'fdaa:0:1:a7b:1::7'}
  const {stdout} = await run(process.execPath, [join(dir, 'child.mjs'), String(port)], {env, cwd: dir, timeout: 30_000})
  const out = JSON.parse(stdout)
  assert.equal(out.http, 'hello from web')
  assert.equal(out.fetch, 'hello from web', 'global fetch, mixed case and a trailing dot')
  assert.deepEqual(out.all, [{address: '::ffff:127.0.0.1', family: 6}])
  assert.deepEqual(out.one, {address: '::ffff:127.0.0.1', family: 6})
  assert.deepEqual(out.family4, {error: 'ENOTFOUND'}, 'no A records for .internal, as on Fly')
  assert.deepEqual(out.callback, [null, '::ffff:127.0.0.1', 6])
  assert.deepEqual(out.callbackAll, [{address: '::ffff:127.0.0.1', family: 6}])
  assert.deepEqual(out.stopped, {error: 'ENOTFOUND'}, 'an app with nothing started has no address')
  assert.ok(['ENOTFOUND', 'EAI_AGAIN'].includes(out.nope.error), 'unknown names fall back to the system resolver')
  assert.deepEqual(out.local, {address: 'fdaa:0:1:a7b:1::7', family: 6})
  assert.equal(out.localhost, '127.0.0.1', 'other names are untouched')
  assert.equal(out.undici7, false, 'without a proxy the preload does not load undici')
})

/** A CONNECT-only HTTP proxy on 127.0.0.1 that reaches `example.test` (a local server); records what it was asked. */
async function connectProxy(t: {after(fn: () => unknown): void}, examplePort: number): Promise<{port: number; asked: string[]}> {
  const asked: string[] = []
  const proxy = createServer((_req, res) => res.writeHead(405).end())
  proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    asked.push(req.url!)
    if (req.url !== 'example.test:80') return void client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n')
    const upstream = connect(examplePort, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client).pipe(upstream)
    })
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  proxy.listen(0, '127.0.0.1')
  await once(proxy, 'listening')
  t.after(() => proxy.close())
  return {port: (proxy.address() as AddressInfo).port, asked}
}

test('with HTTP_PROXY set, the preload sends fetch through the proxy, except .internal names', async (t) => {
  const [webPort, examplePort] = await Promise.all([httpServer(t, 'hello from web'), httpServer(t, 'example via the proxy')])
  const proxy = await connectProxy(t, examplePort)
  const dns = await startDns({instances: [{app: 'web'}]})
  t.after(() => dns.stop())
  const dir = await tempDir(t)
  await writeFile(join(dir, 'child.mjs'), `
const settle = (p) => p.then((r) => r.text(), (e) => ({error: String(e.cause?.code ?? e.cause ?? e)}))
console.log(JSON.stringify({
  external: await settle(fetch('http://example.test/')),
  internal: await settle(fetch('http://web.internal:${webPort}/')),
}))`)
  const env: NodeJS.ProcessEnv = {...process.env, ...dns.env, HTTP_PROXY: `http://127.0.0.1:${proxy.port}`}
  for (const name of ['http_proxy', 'https_proxy', 'HTTPS_PROXY', 'NO_PROXY', 'no_proxy']) delete env[name] // .internal goes direct even without NO_PROXY
  const {stdout} = await run(process.execPath, [join(dir, 'child.mjs')], {env, cwd: dir, timeout: 30_000})
  assert.deepEqual(JSON.parse(stdout), {external: 'example via the proxy', internal: 'hello from web'})
  assert.deepEqual(proxy.asked, ['example.test:80'], 'the .internal request did not go through the proxy')
})

test('registerEnv appends the preload to an existing NODE_OPTIONS once', async (t) => {
  const dns = await startDns()
  t.after(() => dns.stop())
  assert.match(dns.env.FLOTILLA_DNS!, /^127\.0\.0\.1:\d+$/)
  assert.match(dns.env.NODE_OPTIONS!, /--import file:\/\/\S+\/register\.(ts|js)$/)
  const saved = process.env.NODE_OPTIONS
  t.after(() => (saved === undefined ? delete process.env.NODE_OPTIONS : (process.env.NODE_OPTIONS = saved)))
  process.env.NODE_OPTIONS = '--max-old-space-size=256'
  const {registerEnv} = await import('../../src/network/index.js')
  const env = registerEnv(dns.server, {ip: 'fdaa::9'})
  assert.ok(env.NODE_OPTIONS!.startsWith('--max-old-space-size=256 --import '))
  assert.equal(env.FLOTILLA_LOCAL_6PN, 'fdaa::9')
  process.env.NODE_OPTIONS = env.NODE_OPTIONS
  assert.equal(registerEnv(dns.server).NODE_OPTIONS, env.NODE_OPTIONS, 'not added twice')
})

test('the test API: register, resolve, dispatcher, unregister', async (t) => {
  const port = await httpServer(t, 'api says hi')
  const dns = await startDns()
  t.after(() => dns.stop())
  const api = dns.register({app: 'api', region: 'ams'})
  assert.match(api.id, /^[0-9a-f]{14}$/)
  assert.deepEqual(await dns.resolve('api.internal'), ['::ffff:127.0.0.1'])
  assert.deepEqual(await dns.resolve('vms.api.internal', 'TXT'), [`"${api.id} ams"`])
  const res = await request(`http://api.internal:${port}/`, {dispatcher: dns.dispatcher, reset: true}) // no kept-alive socket
  assert.equal(await res.body.text(), 'api says hi')
  dns.unregister('api')
  assert.deepEqual(await dns.resolve('api.internal'), [])
  await assert.rejects(request(`http://api.internal:${port}/`, {dispatcher: dns.dispatcher}), /ENOTFOUND|EAI_AGAIN/)
})
