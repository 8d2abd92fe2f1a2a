import assert from 'node:assert/strict'
import {test} from 'node:test'
import {NameIndexBuilder} from '../../src/network/dns-names.js'

const wire = (name: string): string => name.split('.').map((l) => String.fromCharCode(l.length) + l).join('') + '\0'

test('NameIndex finds every key from wire bytes in any case, and nothing else', () => {
  const builder = new NameIndexBuilder()
  const names: string[] = []
  for (let n = 0; n < 30_000; n++) names.push(`${n.toString(36)}.vm.app-${n % 97}.internal`) // forces growth and collisions
  for (const name of names) builder.add(wire(name))
  assert.equal(builder.add(wire(names[5]!)), 30_000, 'a second spelling gets a row…')
  const index = builder.finish()
  for (const [row, name] of names.entries()) {
    const bytes = Buffer.from(wire(name.toUpperCase()), 'latin1')
    assert.equal(index.find(bytes, 0, bytes.length), row, name)
  }
  const again = Buffer.from(wire(names[5]!), 'latin1')
  assert.equal(index.find(again, 0, again.length), 5, '…but lookups find the first')
  for (const missing of ['nope.internal', 'vm.app-1.internal', `${names[0]}x`, 'internal']) {
    const bytes = Buffer.from(wire(missing), 'latin1')
    assert.equal(index.find(bytes, 0, bytes.length), -1, missing)
  }
  // Offsets inside a larger message, as the server looks names up (the question starts at 12).
  const message = Buffer.concat([Buffer.alloc(12, 0xff), Buffer.from(wire('1.VM.APP-1.Internal'), 'latin1'), Buffer.from([0, 28, 0, 1])])
  assert.equal(index.find(message, 12, message.length - 4), 1)
})
