import assert from 'node:assert/strict'
import {Resolver} from 'node:dns/promises'
import {test} from 'node:test'
import {MAX_CACHED_APPS} from '../../src/network/dns-answers.js'
import {Registry, type Instance} from '../../src/network/index.js'
import {dig, malformed, rcodeOf, run, startSample, udpExchange} from './support.js'

const {header, name, q, OPT, cat} = malformed

test('every Fly name form answers like Fly: AAAA of started instances, TXT formats, TTL 5', async (t) => {
  const {server} = await startSample(t)
  const expect: [string, string, string[]][] = [
    ['shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3']],
    ['global.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3']],
    ['sea.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::3']],
    ['web.process.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2']],
    ['148e21dad76789.vm.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2']],
    ['top1.nearest.of.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2']],
    ['top9.nearest.of.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3']],
    ['primary.role.kv._metadata.shop.internal', 'AAAA', ['fdaa:0:1:a7b:1::2']],
    ['shop-db.internal', 'AAAA', ['::ffff:127.0.0.9']],
    ['vms.shop.internal', 'TXT', ['"148e21dad76789 ams,4d89699c030518 sea"']],
    ['all.vms.shop.internal', 'TXT', ['"148e21dad76789 ams,4d89699c030518 sea,5e8c1a2b3c4d5e sea"']],
    ['regions.shop.internal', 'TXT', ['"ams,sea"']],
    ['all.regions.shop.internal', 'TXT', ['"ams,sea"']],
    ['_apps.internal', 'TXT', ['"shop,shop-db"']],
    ['_instances.internal', 'TXT', ['"instance=148e21dad76789,app=shop,ip=fdaa:0:1:a7b:1::2,region=ams;instance=4d89699c030518,app=shop,ip=fdaa:0:1:a7b:1::3,region=sea;instance=6f0000000000aa,app=shop-db,ip=::ffff:127.0.0.9,region=ams"']],
    ['internal', 'SOA', ['localhost. hostmaster.localhost. 0 3600 600 86400 5']],
  ]
  for (const [qname, type, answers] of expect) {
    const {status, flags, short, text} = await dig(server, qname, type)
    assert.equal(status, 'NOERROR', `${qname} ${type}`)
    assert.match(flags, /\baa\b/, `${qname} is answered authoritatively`)
    assert.deepEqual(short, answers, `${qname} ${type}`)
    assert.match(text, new RegExp(`^${qname.replace(/\./g, '\\.')}\\.\\s+5\\s+IN\\s+${type}`, 'm'), 'TTL 5')
  }
  const any = await dig(server, 'internal', 'ANY')
  assert.deepEqual(any.short, ['localhost. hostmaster.localhost. 0 3600 600 86400 5', 'localhost.'], 'ANY at the apex: SOA and NS')
  assert.deepEqual((await dig(server, 'shop.internal', 'ANY')).short, ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3'])
  const allInstances = await dig(server, 'all._instances.internal', 'TXT')
  assert.match(allInstances.short[0]!, /instance=5e8c1a2b3c4d5e,app=shop,ip=fdaa:0:1:a7b:1::4,region=sea/)
})

test('negative answers: NXDOMAIN vs NODATA, both with the SOA; A is NODATA; case preserved', async (t) => {
  const {server} = await startSample(t)
  const nodata = ['shop.internal A', 'shop.internal TXT', 'vm.shop.internal AAAA', 'nearest.of.shop.internal AAAA', 'process.shop.internal AAAA',
    '5e8c1a2b3c4d5e.vm.shop.internal AAAA', 'kv._metadata.shop.internal AAAA', '_peer.internal TXT', 'top3.nearest.of.shop.internal TXT', 'internal AAAA']
  for (const query of nodata) {
    const {status, short, text} = await dig(server, ...query.split(' '))
    assert.equal(status, 'NOERROR', query)
    assert.deepEqual(short, [], query)
    assert.match(text, /;; AUTHORITY SECTION:\ninternal\.\s+5\s+IN\s+SOA/i, `${query}: SOA in authority`)
  }
  for (const query of ['nope.internal AAAA', 'x.vms.shop.internal TXT', 'top0.nearest.of.shop.internal AAAA', 'ghost.vm.shop.internal AAAA', 'top1.nearest.of.nope.internal AAAA']) {
    const {status, text} = await dig(server, ...query.split(' '))
    assert.equal(status, 'NXDOMAIN', query)
    assert.match(text, /;; AUTHORITY SECTION:\ninternal\.\s+5\s+IN\s+SOA/i, `${query}: SOA in authority`)
  }
  const mixed = await dig(server, 'ShOp.InTeRnAl', 'AAAA')
  assert.match(mixed.text, /;; QUESTION SECTION:\n;ShOp\.InTeRnAl\.\s+IN\s+AAAA/, 'question echoed in its own case')
  assert.match(mixed.text, /^ShOp\.InTeRnAl\.\s+5\s+IN\s+AAAA/m, 'owner names follow the question')
  const outside = await dig(server, 'example.com', 'A')
  assert.equal(outside.status, 'REFUSED')
  assert.doesNotMatch(outside.flags, /\baa\b/)
})

test('kdig and Node dns.Resolver agree, over UDP, TCP and the IPv6 listener', async (t) => {
  const {server} = await startSample(t)
  assert.deepEqual(server.addresses.map((a) => a.address), ['127.0.0.1', '::1'])
  for (const [host, transport] of [['127.0.0.1', '+notcp'], ['::1', '+tcp'], ['127.0.0.1', '+tcp']] as const) {
    const {stdout} = await run('kdig', [`@${host}`, '-p', String(server.port), transport, '+short', 'AAAA', 'shop.internal'])
    assert.deepEqual(stdout.trim().split('\n'), ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3'], `kdig ${host} ${transport}`)
  }
  const resolver = new Resolver({timeout: 2000, tries: 1})
  resolver.setServers([`[::1]:${server.port}`])
  assert.deepEqual(await resolver.resolve6('shop.internal'), ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3'])
  assert.deepEqual(await resolver.resolveTxt('vms.shop.internal'), [['148e21dad76789 ams,4d89699c030518 sea']])
  await assert.rejects(resolver.resolve4('shop.internal'), {code: 'ENODATA'})
  await assert.rejects(resolver.resolve6('nope.internal'), {code: 'ENOTFOUND'})
})

test('registry changes are seen by the next query, whole', async (t) => {
  const {registry, server} = await startSample(t)
  registry.setState('shop', '5e8c1a2b3c4d5e', 'started')
  assert.deepEqual((await dig(server, 'sea.shop.internal', 'AAAA')).short, ['fdaa:0:1:a7b:1::3', 'fdaa:0:1:a7b:1::4'])
  registry.replace([])
  assert.equal((await dig(server, 'shop.internal', 'AAAA')).status, 'NXDOMAIN')
  assert.equal((await dig(server, '_apps.internal', 'TXT')).status, 'NOERROR')
})

test('more apps than the cache of built app zones: every app answers, evicted ones are rebuilt', async (t) => {
  const apps = MAX_CACHED_APPS + 100
  const instances: Instance[] = []
  for (let n = 0; n < apps; n++) instances.push({id: `m${n}`, app: `app-${n}`, group: 'web', region: 'ams', ip: `fdaa::${(n + 1).toString(16)}`, state: 'started'})
  const {server} = await startSample(t, {registry: new Registry(instances)})
  const resolver = new Resolver()
  resolver.setServers([`127.0.0.1:${server.port}`])
  const ask = async (n: number): Promise<void> => assert.deepEqual(await resolver.resolve6(`m${n}.vm.APP-${n}.internal`), [`fdaa::${(n + 1).toString(16)}`])
  for (let n = 0; n < apps; n += 50) await Promise.all(Array.from({length: Math.min(50, apps - n)}, (_, i) => ask(n + i)))
  await ask(0) // built first, evicted since
  await assert.rejects(resolver.resolve6(`app-${apps}.internal`), {code: 'ENOTFOUND'})
})

test('large answers: TC over UDP without EDNS, retried over TCP; long TXT split at 255 bytes in one RR', async (t) => {
  const instances: Instance[] = []
  for (let n = 0; n < 60; n++) instances.push({id: `m${n}`, app: `app-with-a-long-name-${n}`, group: 'web', region: 'ams', ip: `fdaa::${n + 1}`, state: 'started'})
  for (let n = 0; n < 40; n++) instances.push({id: `w${n}`, app: 'wide', group: 'web', region: 'ams', ip: `fdaa::1:${n + 1}`, state: 'started'})
  const {server} = await startSample(t, {registry: new Registry(instances)})
  const udp = await udpExchange(server.port, cat(header(), q(name('_apps', 'internal'), 16)))
  assert.ok(udp && udp.length <= 512)
  assert.ok(udp.readUInt16BE(2) & 0x0200, 'TC set')
  assert.equal(udp.readUInt16BE(6), 0, 'no partial answer')
  const apps = await dig(server, '+noedns', '_apps.internal', 'TXT')
  assert.match(apps.text, /Truncated, retrying in TCP mode|\(TCP\)/)
  const strings = apps.short[0]!.match(/"[^"]*"/g)!
  assert.equal(apps.short.length, 1, 'one TXT record')
  assert.ok(strings.length > 1 && strings.every((s) => s.length - 2 <= 255), 'split into 255-byte character-strings')
  assert.equal(strings.map((s) => s.slice(1, -1)).join(''), Array.from({length: 60}, (_, n) => `app-with-a-long-name-${n}`).sort().concat('wide').sort().join(','))
  const wide = await dig(server, '+noedns', 'wide.internal', 'AAAA')
  assert.equal(wide.short.length, 40)
  const edns = await udpExchange(server.port, cat(header({ar: 1}), q(name('wide', 'internal'), 28), OPT(4096)))
  assert.ok(edns && !(edns.readUInt16BE(2) & 0x0200) && edns.readUInt16BE(6) === 40 && edns.length <= 1232, 'EDNS fits 40 AAAA in 1232 bytes')
})

test('malformed and unusual queries get the RFC answer (dns-registry.md 4.2)', async (t) => {
  const {server} = await startSample(t)
  const expected: Record<string, number | 'silence'> = {
    'zero-length packet': 'silence', '1 byte': 'silence', 'truncated header (11 bytes)': 'silence',
    'QR=1 (a response sent to the server)': 'silence', 'header only, qdcount=0': 1, 'qdcount=2, one question present': 1,
    'question cut inside qtype': 1, 'label length 0x40 (extended label type)': 1, 'compression pointer to itself': 1,
    'name of 4x63-byte labels (>255 octets)': 1, 'two OPT records (expect FORMERR)': 1, 'OPT rdlength longer than packet': 1,
    'OPT option length overruns rdata': 1, 'opcode IQUERY (1)': 4, 'opcode UPDATE (5)': 4, 'qclass CH (3)': 5, 'qtype AXFR (252)': 5,
    'label contains a dot byte ("web.internal" as ONE label)': 5, 'root name, type SOA': 5, 'mixed case Web.INTERNAL': 3,
    'EDNS cookie option (client cookie 8 bytes)': 3, 'TC bit set in query': 3, 'label contains NUL byte': 3,
  }
  for (const c of malformed.cases) {
    const reply = await udpExchange(server.port, c.buf, expected[c.name] === 'silence' ? 300 : 1000)
    if (expected[c.name] === 'silence') assert.equal(reply, undefined, c.name)
    else if (expected[c.name] !== undefined) assert.equal(reply && rcodeOf(reply), expected[c.name], c.name)
    if (reply) assert.ok(reply.readUInt16BE(2) & 0x8000, `${c.name}: replies are responses`)
  }
  const badvers = await udpExchange(server.port, cat(header({ar: 1}), q(name('shop', 'internal'), 28), OPT(1232, 1)))
  assert.ok(badvers)
  assert.equal(badvers.readUInt16BE(10), 1, 'OPT present')
  assert.equal(badvers[badvers.length - 6], 1, 'extended rcode 1 (BADVERS = 16)')
})

test('an answer that cannot fit in a 64 KiB message is SERVFAIL, not silently cut', async (t) => {
  const instances: Instance[] = []
  for (let n = 0; n < 2400; n++) instances.push({id: `i${n}`, app: 'huge', group: 'web', region: 'ams', ip: `fdaa::${(n + 1).toString(16)}`, state: 'started'})
  const {server} = await startSample(t, {registry: new Registry(instances)})
  assert.equal((await dig(server, '+tcp', 'huge.internal', 'AAAA')).status, 'SERVFAIL')
  assert.equal((await dig(server, '+tcp', '_instances.internal', 'TXT')).status, 'SERVFAIL')
  assert.deepEqual((await dig(server, 'i7.vm.huge.internal', 'AAAA')).short, ['fdaa::8'], 'the rest of the zone still answers')
  assert.equal((await dig(server, '+tcp', 'top2000.nearest.of.huge.internal', 'AAAA')).short.length, 2000)
})
