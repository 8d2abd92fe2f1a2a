import assert from 'node:assert/strict'
import {test} from 'node:test'
import {commandPorts, ipv4ListenerProblem, rewritePeers, type PeerContext} from '../../src/split/references.js'

const ctx: PeerContext = {
  group: 'worker',
  originalApp: 'shop',
  apps: new Map([['web', 'shop'], ['worker', 'shop-worker'], ['api', 'shop-api'], ['admin', 'shop-admin']]),
  ports: new Map([['web', new Set([8080])], ['worker', new Set([9000])], ['api', new Set([3000])], ['admin', new Set([3000])]]),
}

test('loopback peers: rewritten when one other group owns the port', () => {
  assert.equal(rewritePeers('http://[::1]:8080/x', ctx).text, 'http://shop.internal:8080/x')
  assert.equal(rewritePeers('LOCALHOST:8080', ctx).text, 'shop.internal:8080')
  assert.equal(rewritePeers('localhost:9000', ctx).text, 'localhost:9000', 'own port')
  assert.equal(rewritePeers('localhost:5432', ctx).text, 'localhost:5432', 'no group listens there')
  assert.equal(rewritePeers('notlocalhost:8080 127.0.0.10:8080', ctx).text, 'notlocalhost:8080 127.0.0.10:8080')
  const ambiguous = rewritePeers('localhost:3000', ctx)
  assert.equal(ambiguous.text, 'localhost:3000')
  assert.match(ambiguous.findings[0]!.why, /used by groups api, admin/)
})

test('a rewritten reference is not judged again', () => {
  const result = rewritePeers('http://localhost:8080 and api.process.shop.internal', ctx)
  assert.equal(result.text, 'http://shop.internal:8080 and shop-api.internal')
  assert.equal(result.rewrites.length, 2)
  assert.deepEqual(result.findings, [])
})

test('.internal names of the old app', () => {
  assert.equal(rewritePeers('api.process.shop.internal:3000', ctx).text, 'shop-api.internal:3000')
  assert.equal(rewritePeers('web.process.shop.internal', ctx).text, 'web.process.shop.internal', 'web stays in shop')
  assert.equal(rewritePeers('x.process.shop.internal', ctx).text, 'x.process.shop.internal', 'unknown group: left alone')
  assert.equal(rewritePeers('myshop.internal shop.internals', ctx).findings.length, 0, 'other names are not matches')
  const narrowed = rewritePeers('top1.nearest.of.shop.internal shop.flycast', ctx)
  assert.equal(narrowed.text, 'top1.nearest.of.shop.internal shop.flycast')
  assert.equal(narrowed.findings.length, 2)
})

test('listener problems and command ports', () => {
  assert.match(ipv4ListenerProblem('gunicorn -b 0.0.0.0:8000')!, /IPv4 only/)
  assert.match(ipv4ListenerProblem("sh -c 'rails s --host=localhost'")!, /loopback only/)
  assert.equal(ipv4ListenerProblem('rails s -b :: -p 3000'), undefined)
  assert.equal(ipv4ListenerProblem('curl 10.0.0.0/8'), undefined)
  assert.deepEqual(commandPorts('rails s -p 3000'), [3000])
  assert.deepEqual(commandPorts('uvicorn app --host 0.0.0.0 --port=8000'), [8000])
  assert.deepEqual(commandPorts('gunicorn -b [::]:8000 x'), [8000])
  assert.deepEqual(commandPorts('celery -A x worker -P gevent'), [])
})
