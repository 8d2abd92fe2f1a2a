import assert from 'node:assert/strict'
import {createSocket} from 'node:dgram'
import {connect, type Socket} from 'node:net'
import {once} from 'node:events'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {dig, malformed, startSample, udpExchange} from './support.js'

const {header, name, q, OPT, cat} = malformed

/** Deterministic PRNG so a failure can be replayed (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const seeds = [
  cat(header({ar: 1}), q(name('shop', 'internal'), 28), OPT()),
  cat(header(), q(name('vms', 'shop', 'internal'), 16)),
  cat(header(), q(name('top2', 'nearest', 'of', 'shop', 'internal'), 28)),
  cat(header({ar: 1}), q(name('_instances', 'internal'), 16), OPT(512)),
  ...malformed.cases.map((c) => c.buf).filter((b) => b.length < 2048),
]

/** Flip, insert, delete or overwrite 1–4 bytes, or truncate. */
function mutate(rand: () => number): Buffer {
  const bytes = [...seeds[Math.floor(rand() * seeds.length)]!]
  const edits = 1 + Math.floor(rand() * 4)
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rand() * (bytes.length + 1))
    const kind = rand()
    if (kind < 0.35) bytes[at] = (bytes[at] ?? 0) ^ (1 << Math.floor(rand() * 8))
    else if (kind < 0.55) bytes.splice(at, 0, Math.floor(rand() * 256))
    else if (kind < 0.7) bytes.splice(at, 1)
    else if (kind < 0.85) bytes[at] = [0, 0xc0, 0x3f, 0x40, 0xff, 41, 1][Math.floor(rand() * 7)]!
    else bytes.length = at
  }
  return Buffer.from(bytes)
}

test('200 000 mutated and truncated packets over UDP and TCP: the server keeps answering, never answers a response', async (t) => {
  const {server} = await startSample(t)
  const rand = random(20_260_325)
  let replies = 0
  const client = createSocket('udp4')
  t.after(() => client.close())
  client.on('message', (reply) => {
    replies++
    assert.ok(reply.length >= 12 && reply.readUInt16BE(2) & 0x8000, 'every reply is a response')
    assert.ok(reply.length <= 1232, 'no UDP reply above the EDNS size')
  })
  await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve))
  const UDP = 150_000
  for (let sent = 0; sent < UDP; sent++) {
    client.send(mutate(rand), server.port, '127.0.0.1')
    if (sent % 20 === 19) await new Promise(setImmediate) // let the server read: kernel drops would only hide cases
  }
  // TCP: correctly framed mutated messages, several per write, over a few connections.
  const TCP = 50_000
  let tcpSent = 0
  let tcpReplyBytes = 0
  while (tcpSent < TCP) {
    const socket: Socket = connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.on('data', (d) => (tcpReplyBytes += d.length))
    await new Promise((resolve) => socket.once('connect', resolve))
    for (let batch = 0; batch < 100 && tcpSent < TCP && !socket.destroyed; batch++) {
      const frames: Buffer[] = []
      for (let i = 0; i < 50; i++, tcpSent++) {
        const body = mutate(rand)
        if (body.length === 0) continue // length 0 closes the connection by design
        const length = Buffer.alloc(2)
        length.writeUInt16BE(body.length)
        frames.push(length, body)
      }
      if (!socket.write(Buffer.concat(frames))) await new Promise((resolve) => socket.once('drain', resolve))
    }
    // After our FIN the server answers what it has read, then closes: wait for that (bounded).
    socket.end()
    await Promise.race([once(socket, 'close'), sleep(3000)])
    socket.destroy()
  }
  // Raw garbage streams (bad framing): the server closes or times out such connections.
  for (let n = 0; n < 20; n++) {
    const socket = connect(server.port, '127.0.0.1')
    socket.on('error', () => {})
    socket.end(Buffer.from(Array.from({length: 1 + Math.floor(rand() * 600)}, () => Math.floor(rand() * 256))))
  }
  await sleep(200)
  // Most mutants still get an answer (FORMERR, NXDOMAIN…); responses and runts get silence.
  assert.ok(replies > UDP / 2, `the server answered while fuzzed (${replies} UDP replies)`)
  assert.ok(tcpReplyBytes > TCP * 12, `the server answered over TCP (${tcpReplyBytes} bytes)`)
  const valid = Buffer.from(malformed.valid)
  valid.writeUInt16BE(0x7777, 0)
  const alive = await udpExchange(server.port, valid)
  assert.equal(alive?.readUInt16BE(0), 0x7777)
  assert.deepEqual((await dig(server, 'shop.internal', 'AAAA')).short, ['fdaa:0:1:a7b:1::2', 'fdaa:0:1:a7b:1::3'])
  assert.deepEqual((await dig(server, '+tcp', 'vms.shop.internal', 'TXT')).short, ['"148e21dad76789 ams,4d89699c030518 sea"'])
})

/** Resolves with how the connection ended: 'closed' (by the server) or 'open' after `waitMs`. */
function watch(socket: Socket, waitMs: number): Promise<'closed' | 'open'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('open'), waitMs)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve('closed')
    })
  })
}

test('TCP: pipelined and dribbled queries answered; idle, half-sent and zero-length connections closed', async (t) => {
  const {server} = await startSample(t, {tcpTimeoutMs: 400})
  const frame = (body: Buffer, id: number): Buffer => {
    const out = Buffer.alloc(2 + body.length)
    out.writeUInt16BE(body.length)
    body.copy(out, 2)
    out.writeUInt16BE(id, 2)
    return out
  }
  const open = async (): Promise<Socket & {received: Buffer[]}> => {
    const socket = Object.assign(connect(server.port, '127.0.0.1'), {received: [] as Buffer[]})
    socket.on('data', (d) => socket.received.push(d))
    socket.on('error', () => {})
    t.after(() => socket.destroy())
    await new Promise((resolve) => socket.once('connect', resolve))
    return socket
  }
  const pipelined = await open()
  pipelined.write(Buffer.concat([frame(malformed.valid, 1), frame(malformed.valid, 2), frame(malformed.valid, 3)]))
  const dribbled = await open()
  const bytes = frame(malformed.valid, 4)
  const dribbling = (async () => {
    for (const byte of bytes) {
      dribbled.write(Buffer.from([byte]))
      await sleep(5)
    }
  })()
  const idle = await open()
  const halfSent = await open()
  halfSent.write(Buffer.from([0xff, 0xff, 1, 2, 3]))
  const slowLoris = await open()
  const loris = setInterval(() => slowLoris.write(Buffer.from([0])), 100) // a byte every 100 ms never completes 65 535
  t.after(() => clearInterval(loris))
  const zero = await open()
  zero.write(Buffer.from([0, 0]))
  const [idleEnd, halfEnd, lorisEnd, zeroEnd] = await Promise.all([watch(idle, 3000), watch(halfSent, 3000), watch(slowLoris, 3000), watch(zero, 3000)])
  await dribbling
  assert.deepEqual([idleEnd, halfEnd, lorisEnd, zeroEnd], ['closed', 'closed', 'closed', 'closed'])
  const ids = (socket: {received: Buffer[]}): number[] => {
    const all = Buffer.concat(socket.received)
    const out: number[] = []
    for (let at = 0; at + 2 <= all.length; at += 2 + all.readUInt16BE(at)) out.push(all.readUInt16BE(at + 2))
    return out
  }
  assert.deepEqual(ids(pipelined), [1, 2, 3])
  assert.deepEqual(ids(dribbled), [4])
})
