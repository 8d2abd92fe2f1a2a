import assert from 'node:assert/strict'
import {test} from 'node:test'
import {styleText} from 'node:util'
import {renderPs} from '../../src/ui/up-render.js'
import {formatUptime, renderTable} from '../../src/ui/table.js'

test('tables align on visible width, colour codes included', () => {
  const rows = [{a: styleText('red', 'x'), b: '1'}, {a: 'longer', b: '22'}]
  const text = renderTable(rows, [{header: 'A', cell: (r) => r.a}, {header: 'B', cell: (r) => r.b}])
  const plain = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n')
  assert.deepEqual(plain, ['A       B', 'x       1', 'longer  22'])
})

test('uptime shows the two largest units', () => {
  assert.equal(formatUptime(0), '0s')
  assert.equal(formatUptime(42_000), '42s')
  assert.equal(formatUptime(5 * 60_000 + 12_000), '5m12s')
  assert.equal(formatUptime(3 * 86_400_000 + 4 * 3_600_000 + 59_000), '3d4h')
  assert.equal(formatUptime(3_600_000 + 5_000), '1h')
})

test('ps: one row per instance, dashes for what does not apply', () => {
  const now = Date.parse('2026-01-01T00:01:05Z')
  const base = {app: 'shop', group: 'web', index: 0, id: '148e21dad76789', pid: 42, ip: '::ffff:127.0.0.2', state: 'running' as const,
    health: 'passing' as const, restarts: 0, crashLoop: false, startedAt: '2026-01-01T00:00:00Z', urls: []}
  const text = renderPs({dir: '/x', pid: 1, network: 'loopback', dns: {address: '127.0.0.1', port: 53},
    instances: [base, {...base, index: 1, pid: null, state: 'backoff', health: 'none', restarts: 3, crashLoop: true, startedAt: null}]}, now)
  const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n').map((l) => l.split(/\s{2,}/))
  assert.deepEqual(lines, [
    ['APP', 'GROUP', 'INSTANCE', 'PID', 'ADDRESS', 'STATE', 'HEALTH', 'RESTARTS', 'UPTIME'],
    ['shop', 'web', '0 148e21dad76789', '42', '::ffff:127.0.0.2', 'running', 'passing', '0', '1m5s'],
    ['shop', 'web', '1 148e21dad76789', '-', '::ffff:127.0.0.2', 'backoff (crash loop)', '-', '3', '-'],
  ])
})
