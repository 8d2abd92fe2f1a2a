import assert from 'node:assert/strict'
import {readFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {test} from 'node:test'
import * as dnsPacket from 'dns-packet'
import {hostsFile, instanceAddress, proxyAddress} from '../../../src/network/isolated/addresses.js'
import {queryUpstream, servfail} from '../../../src/network/isolated/dns-upstream.js'
import {ipv4OnlyWarning, parseProcNetTcp} from '../../../src/network/isolated/listeners.js'

test('instance addresses are Fly-shaped, stable per app and index, and distinct', () => {
  const a = instanceAddress('shop', 'web', 0)
  assert.match(a, /^fdaa:0:1:a7b:1:[0-9a-f]{1,4}:[0-9a-f]{1,4}:2$/)
  assert.equal(instanceAddress('shop', 'web', 0), a)
  assert.notEqual(instanceAddress('shop', 'web', 1), a)
  assert.notEqual(instanceAddress('shop', 'worker', 0), a)
  assert.notEqual(instanceAddress('shop-worker', 'web', 0), a)
  assert.notEqual(instanceAddress('shop', 'web', 0, 1), a)
  assert.equal(proxyAddress(2), '172.19.0.2')
  assert.equal(proxyAddress(300), '172.19.1.44')
  assert.match(hostsFile(a, '172.19.0.2', '148e21dad76789'), new RegExp(`^${a}\\tfly-local-6pn$`, 'm'))
})

test('/proc/net/tcp parsing: the listeners of this very process, IPv4 and IPv6', async (t) => {
  const servers = await Promise.all(['0.0.0.0', '::', '127.0.0.1', '::1'].map((host) =>
    new Promise<ReturnType<typeof createServer>>((resolve) => {
      const server = createServer()
      server.listen(0, host, () => resolve(server))
    })))
  t.after(() => servers.forEach((s) => s.close()))
  const listeners = (await Promise.all(['tcp', 'tcp6'].map((f) => readFile(`/proc/self/net/${f}`, 'utf8')))).flatMap(parseProcNetTcp)
  for (const server of servers) {
    const {address, port} = server.address() as {address: string; port: number}
    assert.ok(listeners.some((l) => l.address === address && l.port === port), `${address}:${port} in ${JSON.stringify(listeners)}`)
  }
})

test('parseProcNetTcp reads kernel lines, skipping non-listening sockets', () => {
  const v6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0000AAFD7B0A010090A0010002006878:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 0
   2: 0000000000000000FFFF00000100007F:0050 0000000000000000FFFF00000100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0
   3: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 0`
  assert.deepEqual(parseProcNetTcp(v6), [{address: '::', port: 8080}, {address: 'fdaa:0:1:a7b:1:a090:7868:2', port: 8080}, {address: '::ffff:127.0.0.1', port: 81}])
})

test('ipv4OnlyWarning: IPv4-only listeners warn, an IPv6 or dual-stack one does not', () => {
  assert.equal(ipv4OnlyWarning('api', [{address: '0.0.0.0', port: 8080}], 8080),
    'api listens on 0.0.0.0:8080 only; .internal traffic is IPv6: bind [::]:8080 or fly-local-6pn:8080')
  assert.match(ipv4OnlyWarning('api', [{address: '127.0.0.1', port: 8080}, {address: '::ffff:10.0.0.1', port: 8080}], 8080) ?? '', /127\.0\.0\.1:8080, ::ffff:10\.0\.0\.1:8080 only/)
  assert.equal(ipv4OnlyWarning('api', [{address: '0.0.0.0', port: 8080}, {address: '::', port: 8080}], 8080), undefined)
  assert.equal(ipv4OnlyWarning('api', [{address: '0.0.0.0', port: 9090}], 8080), undefined, 'not listening yet')
})

test('SERVFAIL keeps the id and question; no upstream answers SERVFAIL at once', async () => {
  const query = dnsPacket.encode({type: 'query', id: 4242, flags: dnsPacket.RECURSION_DESIRED,
    questions: [{type: 'AAAA', name: 'web.internal'}], additionals: [{type: 'OPT', name: '.', udpPayloadSize: 1232} as unknown as dnsPacket.Answer]})
  for (const answer of [servfail(query), await queryUpstream(undefined, query, false)]) {
    const decoded = dnsPacket.decode(answer)
    assert.equal(decoded.id, 4242)
    assert.equal((decoded.flags ?? 0) & 0xf, 2, 'rcode SERVFAIL')
    assert.equal(decoded.type, 'response')
    assert.deepEqual(decoded.questions, [{type: 'AAAA', name: 'web.internal', class: 'IN'}])
    assert.equal(decoded.additionals?.length, 0)
  }
  assert.equal(servfail(Buffer.from([1, 2, 3])).length, 12)
})
