import assert from 'node:assert/strict'
import {test} from 'node:test'
import {joinKeyPath, locateKeyPath} from '../../src/config/index.js'

test('locateKeyPath follows tables, arrays of tables and their nesting', () => {
  const text = [
    'app = "x"', //                1
    '[processes]', //              2
    '  "web.v2" = "w"', //         3
    '[[services]]', //             4
    '  internal_port = 1', //      5
    '[[services]]', //             6
    '  internal_port = 2', //      7
    '  [[services.ports]]', //     8
    '    port = 80', //            9
    '  [[services.ports]]', //     10
    '    port = 443', //           11
    '  [services.concurrency]', // 12
    '[checks.alive]', //           13
    '  processes = ["web"]', //    14
    '[mount]', //                  15
    '  source = "data"', //        16
  ].join('\n')
  const line = (path: string) => locateKeyPath(text, path)?.line
  assert.equal(line('app'), 1)
  assert.equal(line('processes."web.v2"'), 3)
  assert.equal(line(joinKeyPath('processes', 'web.v2')), 3)
  assert.equal(line('services[1].internal_port'), 7)
  assert.equal(line('services[1].ports[1].port'), 11)
  assert.deepEqual(locateKeyPath(text, 'services[1].ports[1]'), {line: 10, column: 3})
  assert.equal(line('services[1].concurrency.type'), 12, 'falls back to the enclosing table')
  assert.equal(line('checks.alive.processes'), 14)
  assert.equal(line('mounts[0]'), undefined, 'a legacy alias is not guessed')
  assert.equal(line('vm[0].size'), undefined)
})
