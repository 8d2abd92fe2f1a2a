import assert from 'node:assert/strict'
import {test} from 'node:test'
import {queryDns} from '../../src/network/dns-client.js'
import {startDns} from '../../src/testing.js'

test('queryDns retries a truncated UDP answer over TCP and gets the whole TXT list', async (t) => {
  const dns = await startDns()
  t.after(() => dns.stop())
  // 40 instances make `_instances.internal` ~2.5 KB: more than the 1232-byte EDNS UDP size.
  for (let i = 0; i < 40; i++) dns.register({app: `app${i}`, id: (0x148e21dad76700 + i).toString(16), region: 'ams'})
  const result = await queryDns(dns.server, '_instances.internal', 'TXT')
  assert.equal(result.rcode, 'NOERROR')
  assert.equal(result.tcp, true)
  const records = JSON.parse(`[${result.answers.map((a) => a.data.replaceAll('" "', '')).join(',')}]`) as string[]
  assert.equal(records.join('').split(';').length, 40)
})

test('queryDns: a server that does not answer is E_DNS_NO_ANSWER, not a hang', async () => {
  const silent = {address: '127.0.0.1', port: 9} // discard port: nothing listens there
  await assert.rejects(queryDns(silent, 'web.internal', 'AAAA', 300), {code: 'E_DNS_NO_ANSWER'})
})
