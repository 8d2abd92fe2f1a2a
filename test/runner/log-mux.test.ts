/** Line integrity, formatting and backpressure of the log multiplexer. */
import assert from 'node:assert/strict'
import {createReadStream, createWriteStream} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {Writable} from 'node:stream'
import {test} from 'node:test'
import {LogFormatter} from '../../src/runner/log-format.js'
import {LineSplitter, type LogLine, LogMux} from '../../src/runner/log-mux.js'
import {Supervisor} from '../../src/runner/supervisor.js'
import {tempDir} from '../helpers/repo.js'
import {killMarked, newMarker, sh, spec, waitState} from './support.js'

function split(chunks: (string | Buffer)[], options = {maxLineBytes: 1 << 20, idleFlushMs: 10_000}) {
  const out: {text: string; partial: boolean}[] = []
  const splitter = new LineSplitter((text, partial) => out.push({text, partial}), options)
  for (const chunk of chunks) splitter.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  splitter.end()
  return out
}

test('lines cut across chunks come out whole; a final line without newline is flushed at the end', () => {
  assert.deepEqual(split(['on', 'e\ntw', 'o\nthr', 'ee']).map((b) => b.text), ['one\n', 'two\n', 'three\n'])
  assert.deepEqual(split(['a\nb\n', '\n']).map((b) => b.text), ['a\nb\n', '\n'])
})

test('a line over the cap is cut into partial pieces on character boundaries, losing nothing', () => {
  const line = 'é'.repeat(50) + '€'.repeat(50) // 2- and 3-byte characters
  const pieces = split([line.slice(0, 30), line.slice(30) + '\nnext\n'], {maxLineBytes: 16, idleFlushMs: 10_000})
  assert.ok(pieces.every((p) => Buffer.byteLength(p.text) - 1 <= 16 && !p.text.includes('\ufffd')))
  assert.deepEqual(pieces.map((p) => p.partial).slice(-3), [true, false, false])
  assert.equal(pieces.map((p) => p.text.slice(0, -1)).slice(0, -1).join(''), line)
  assert.equal(pieces.at(-1)!.text, 'next\n')
})

test('a line left unfinished (a prompt) is shown after the idle delay, marked partial, whole characters only', async () => {
  const out: {text: string; partial: boolean}[] = []
  const splitter = new LineSplitter((text, partial) => out.push({text, partial}), {maxLineBytes: 1024, idleFlushMs: 20})
  const euro = Buffer.from('€') // 3 bytes: the idle flush must not cut it
  splitter.push(Buffer.concat([Buffer.from('Price: '), euro.subarray(0, 2)]))
  await new Promise((resolve) => setTimeout(resolve, 100))
  splitter.push(Buffer.concat([euro.subarray(2), Buffer.from('5\n')]))
  assert.deepEqual(out, [{text: 'Price: \n', partial: true}, {text: '€5\n', partial: false}])
})

const web = {key: 'shop[web].0', app: 'shop', group: 'web', index: 0}
const worker = {key: 'shop-worker[worker].12', app: 'shop-worker', group: 'worker', index: 12}

test('text: prefixes aligned to the widest instance, stderr marked, colour only when asked', () => {
  const plain = new LogFormatter({format: 'text', color: false, timestamps: false})
  plain.register(web)
  plain.register(worker)
  assert.equal(plain.format(web, 'stdout', 'a\nb\n', 0), 'shop[web].0            | a\nshop[web].0            | b\n')
  assert.equal(plain.format(worker, 'stderr', 'boom\n', 0), 'shop-worker[worker].12 ! boom\n')
  assert.equal(plain.format(web, 'stdout', 'piece\n', 0, true), 'shop[web].0            | piece …\n')
  assert.equal(plain.system('web crashed', 0), 'flotilla               | web crashed\n')
  const colour = new LogFormatter({format: 'text', color: true, timestamps: true})
  colour.register(web)
  colour.register(worker)
  const line = colour.format(web, 'stdout', 'a\n', Date.UTC(2026, 0, 1))
  assert.match(line, /^\x1b\[2m\d\d:\d\d:\d\d\.000\x1b\[22m \x1b\[36mshop\[web\]\.0 {11}\x1b\[39m/)
  assert.notEqual(colour.format(worker, 'stdout', 'a\n', 0).slice(0, 30), line.slice(0, 30), 'another app, another colour')
})

test('NO_COLOR and non-terminals get no escape codes by default', () => {
  const mux = new LogMux(new Writable({write: (_c, _e, cb) => cb()}))
  assert.equal(mux.formatter.options.color, false)
})

test('json: one object per line with ts, app, group, instance, stream, line', () => {
  const json = new LogFormatter({format: 'json', color: true, timestamps: false})
  const out = json.format(web, 'stderr', 'x "quoted"\n\ty\n', Date.UTC(2026, 0, 1), true)
  assert.deepEqual(out.trimEnd().split('\n').map((l) => JSON.parse(l)), [
    {ts: '2026-01-01T00:00:00.000Z', app: 'shop', group: 'web', instance: 0, stream: 'stderr', line: 'x "quoted"'},
    {ts: '2026-01-01T00:00:00.000Z', app: 'shop', group: 'web', instance: 0, stream: 'stderr', line: '\ty', partial: true},
  ])
  assert.deepEqual(JSON.parse(json.system('shop[web].0 crashed', 0)), {ts: '1970-01-01T00:00:00.000Z', app: 'flotilla', stream: 'system', line: 'shop[web].0 crashed'})
})

test('json: batches without escapes take the fast path and produce the same records', () => {
  const json = new LogFormatter({format: 'json', color: false, timestamps: false})
  const samples = ['plain', 'é€😀 unicode', '\u2028 separator', 'a"b', 'back\\slash', '\x1b[31mred\x1b[0m', '']
  for (const batch of [samples, samples.slice(0, 3), ['one'], ['x', '', 'y']]) {
    for (const partial of [false, true]) {
      const records = json.format(web, 'stdout', batch.join('\n') + '\n', 0, partial).trimEnd().split('\n').map((l) => JSON.parse(l))
      assert.deepEqual(records.map((r) => r.line), batch)
      assert.deepEqual(records.map((r) => r.partial), batch.map((_, i) => (partial && i === batch.length - 1 ? true : undefined)))
    }
  }
})

function setup(t: {after(fn: () => unknown): void}, logs?: LogMux) {
  const marker = newMarker()
  const supervisor = new Supervisor(logs ? {logs} : {})
  t.after(async () => {
    await supervisor.close()
    killMarked(marker)
  })
  return {marker, supervisor}
}

test('2 processes x 200 000 lines: none lost, none interleaved, each in order', async (t) => {
  const file = join(await tempDir(t), 'out.log')
  const out = createWriteStream(file)
  const {marker, supervisor} = setup(t, new LogMux(out))
  const keys = ['a', 'b'].map((app) => supervisor.start(spec(marker, {app, argv: ['seq', '1', '200000']})))
  await Promise.all(keys.map((key) => waitState(supervisor, key, 'stopped')))
  await new Promise((resolve) => out.end(resolve))
  const next = {a: 1, b: 1}
  let bad = 0
  for await (const line of createInterface({input: createReadStream(file)})) {
    const match = /^([ab])\[web\]\.0 \| (\d+)$/.exec(line)
    if (match && Number(match[2]) === next[match[1] as 'a' | 'b']) next[match[1] as 'a' | 'b']++
    else bad++
  }
  assert.deepEqual({...next, bad}, {a: 200_001, b: 200_001, bad: 0})
})

test('a slow output pauses the children instead of buffering: memory stays bounded', async (t) => {
  let written = 0
  let peak = 0
  const slow = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      written += chunk.length
      setTimeout(callback, 1) // ~10 MB/s at most: far slower than the child
    },
  })
  const {marker, supervisor} = setup(t, new LogMux(slow))
  supervisor.on('line', () => (peak = Math.max(peak, slow.writableLength)))
  // 8 MB of 100-byte lines, as fast as the kernel can pipe them.
  const key = supervisor.start(spec(marker, {argv: sh("head -c 8000000 /dev/zero | tr '\\0' x | fold -w 99")}))
  await waitState(supervisor, key, 'stopped')
  await new Promise((resolve) => slow.end(resolve))
  const lines = Math.ceil(8_000_000 / 99) // the last one, 8 bytes without newline, included
  assert.equal(written, 8_000_000 + lines * ('app[web].0 | '.length + 1), 'every byte arrived')
  assert.ok(peak < 512 * 1024, `output buffer peaked at ${peak} bytes`)
})

test('a very long line is kept whole up to the cap, then cut into marked pieces', async (t) => {
  const {marker, supervisor} = setup(t)
  const lines: LogLine[] = []
  supervisor.on('line', (line: LogLine) => lines.push(line))
  const key = supervisor.start(spec(marker, {argv: sh("head -c 3000000 /dev/zero | tr '\\0' y; echo; head -c 200000 /dev/zero | tr '\\0' z; echo")}))
  await waitState(supervisor, key, 'stopped')
  assert.deepEqual(lines.map((l) => [l.line.length, l.partial ?? false]), [
    [1 << 20, true], [1 << 20, true], [3_000_000 - 2 * (1 << 20), false], [200_000, false],
  ])
  assert.ok(supervisor.recent(key).length > 0, 'the tail keeps what fits')
})

test('the last line of a process that ends without newline is not lost', async (t) => {
  const {marker, supervisor} = setup(t)
  const key = supervisor.start(spec(marker, {argv: sh("echo first; printf 'last words' >&2; exit 3")}))
  await waitState(supervisor, key, 'crashed')
  assert.deepEqual(supervisor.recent(key).map((l) => [l.stream, l.line]).sort(), [['stderr', 'last words'], ['stdout', 'first']])
})
