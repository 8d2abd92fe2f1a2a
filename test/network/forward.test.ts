import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import {createServer, type AddressInfo} from 'node:net'
import {join} from 'node:path'
import {test} from 'node:test'
import {parseHostPort, systemResolvers} from '../../src/network/dns-forwarder.js'
import {tempDir} from '../helpers/repo.js'
import {dig, run, startSample} from './support.js'

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('names outside .internal are forwarded to the upstream resolver (dnsmasq), over UDP and TCP', async (t) => {
  if (!(await run('dnsmasq', ['--version']).then(() => true, () => false))) return t.skip('dnsmasq is not installed (apt-get install dnsmasq-base)')
  const port = await freePort()
  const dnsmasq = spawn('dnsmasq', ['--conf-file=/dev/null', '--keep-in-foreground', '--pid-file=', '--listen-address=127.0.0.1', '--bind-interfaces',
    `--port=${port}`, '--no-resolv', '--no-hosts', '--local=/example/', '--host-record=public.example,192.0.2.7'], {stdio: 'ignore'})
  t.after(() => dnsmasq.kill())
  const {server} = await startSample(t, {forward: [`127.0.0.1:${port}`]})
  let answer = await dig(server, 'public.example', 'A')
  for (let tries = 0; tries < 30 && answer.status !== 'NOERROR'; tries++) answer = await dig(server, 'public.example', 'A') // dnsmasq starting
  assert.deepEqual(answer.short, ['192.0.2.7'])
  assert.match(answer.flags, /\bra\b/)
  assert.deepEqual((await dig(server, '+tcp', 'public.example', 'A')).short, ['192.0.2.7'])
  assert.equal((await dig(server, 'nope.example', 'A')).status, 'NXDOMAIN')
  const internal = await dig(server, 'shop.internal', 'AAAA')
  assert.match(internal.flags, /\baa\b/, '.internal is still answered here, authoritatively')
  assert.equal(internal.short.length, 2)
})

test('an upstream that does not answer gives SERVFAIL; forwarding off gives REFUSED', async (t) => {
  const silent = await freePort() // nothing listens there
  const {server} = await startSample(t, {forward: [`127.0.0.1:${silent}`]})
  assert.equal((await dig(server, '+time=5', 'public.example', 'A')).status, 'SERVFAIL')
  const {server: plain} = await startSample(t)
  assert.equal((await dig(plain, 'public.example', 'A')).status, 'REFUSED')
})

test('upstreams: resolv.conf nameserver lines and HOST[:PORT] forms', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'resolv.conf')
  await writeFile(file, '# comment\nsearch example\nnameserver 10.0.0.53\nnameserver fe80::1%eth0\nnameserver ::1\noptions ndots:1\n')
  assert.deepEqual(await systemResolvers(file), [{address: '10.0.0.53', port: 53}, {address: 'fe80::1', port: 53}, {address: '::1', port: 53}])
  assert.deepEqual(await systemResolvers(join(dir, 'missing')), [])
  assert.deepEqual(parseHostPort('[::1]:5300', 53), {address: '::1', port: 5300})
  assert.deepEqual(parseHostPort('127.0.0.1:5300', 53), {address: '127.0.0.1', port: 5300})
  assert.deepEqual(parseHostPort('::1', 53), {address: '::1', port: 53})
  assert.equal(parseHostPort('localhost:53', 53), undefined)
  assert.equal(parseHostPort('127.0.0.1:99999', 53), undefined)
})
