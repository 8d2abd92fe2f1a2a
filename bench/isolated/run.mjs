// Isolated network mode, as ratios to anchors measured in the same run (loopback only, bounded):
//  1. start 20 instances (network + attach + an HTTP server spawned in each, until all listen),
//     isolated vs loopback mode (target <= 3x);
//  2. HTTP throughput through a forwarded host port vs a direct loopback connection to the same
//     server program (target >= 0.5x): small answers (req/s) and 1 MiB answers (MB/s).
// Needs the build (`npx tsc -p tsconfig.build.json`); `npm run bench:up` may call benchIsolated().
// BENCH_ROUNDS sets the rounds per measure (default 5; medians are printed).
import {spawn} from 'node:child_process'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {fileURLToPath} from 'node:url'
import {Pool} from 'undici'

const dist = new URL('../../dist/src/network/', import.meta.url)
const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
const INSTANCES = 20
const CONNECTIONS = 16

/** argv: port, body size, bind address; prints the port once listening. */
const server = `
const body = Buffer.alloc(Number(process.argv[2]), 'x')
require('node:http').createServer((req, res) => res.end(body))
  .listen(Number(process.argv[1]), process.argv[3], function () { console.log(this.address().port) })`

/** Spawns argv, resolves with the child and its first line of output. */
function start(argv) {
  const child = spawn(argv[0], argv.slice(1), {stdio: ['ignore', 'pipe', 'inherit']})
  return new Promise((resolve, reject) => {
    createInterface({input: child.stdout}).once('line', (line) => resolve({child, line}))
    child.once('exit', (code) => reject(new Error(`${argv.join(' ')} exited ${code}`)))
  })
}

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1]

async function withSession(fn) {
  const sessionDir = await mkdtemp(join(tmpdir(), 'flotilla-bench-'))
  try {
    return await fn(sessionDir)
  } finally {
    await rm(sessionDir, {recursive: true, force: true})
  }
}

/** Milliseconds from nothing to INSTANCES servers listening, each in its own instance. */
function startInstances(kind) {
  return withSession(async (sessionDir) => {
    const {createNetworkMode} = await import(new URL('network-mode.js', dist))
    const began = performance.now()
    const network = await createNetworkMode(kind, {sessionDir})
    const started = await Promise.all(Array.from({length: INSTANCES}, async (_, index) => {
      const instance = await network.attach({app: `bench${index % 4}`, group: 'app', index, machineId: `${index}`.padStart(14, '0')})
      const host = kind === 'loopback' ? instance.ip.replace('::ffff:', '') : '::'
      return start(instance.wrap([process.execPath, '-e', server, '8080', '2', host]))
    }))
    const ms = performance.now() - began
    for (const {child} of started) child.kill('SIGKILL')
    await network.close()
    return ms
  })
}

/** Requests/s and MB/s of CONNECTIONS keep-alive connections fetching from origin for `seconds`. */
async function load(origin, seconds) {
  const pool = new Pool(origin, {connections: CONNECTIONS})
  let requests = 0
  let bytes = 0
  const began = performance.now()
  const until = began + seconds * 1000
  await Promise.all(Array.from({length: CONNECTIONS}, async () => {
    while (performance.now() < until) {
      const {body} = await pool.request({path: '/', method: 'GET'})
      for await (const chunk of body) bytes += chunk.length
      requests++
    }
  }))
  const elapsed = (performance.now() - began) / 1000
  await pool.close()
  return {rps: requests / elapsed, mbps: bytes / elapsed / 1e6}
}

/** The same server program inside an instance (through a forward) and on the host's loopback. */
function throughput(size) {
  return withSession(async (sessionDir) => {
    const {createIsolatedNetwork} = await import(new URL('isolated/index.js', dist))
    const network = await createIsolatedNetwork({sessionDir})
    const children = []
    try {
      const instance = await network.attach({app: 'bench', group: 'app', index: 0, machineId: '00000000000000'})
      const inside = await start(instance.wrap([process.execPath, '-e', server, '8080', String(size), '::']))
      const direct = await start([process.execPath, '-e', server, '0', String(size), '127.0.0.1'])
      children.push(inside.child, direct.child)
      const forward = await network.forward(0, () => [{ip: instance.ip, port: 8080}])
      const results = {direct: [], forwarded: []}
      for (let i = 0; i < rounds; i++) {
        results.direct.push(await load(`http://127.0.0.1:${direct.line}`, 1))
        results.forwarded.push(await load(`http://127.0.0.1:${forward.hostPort}`, 1))
      }
      return results
    } finally {
      for (const child of children) child.kill('SIGKILL')
      await network.close()
    }
  })
}

export async function benchIsolated(log = console.log) {
  await startInstances('isolated') // warm-up: page cache, first namespace
  const times = {loopback: [], isolated: []}
  for (let i = 0; i < rounds; i++) {
    times.loopback.push(await startInstances('loopback'))
    times.isolated.push(await startInstances('isolated'))
  }
  const [loop, iso] = [median(times.loopback), median(times.isolated)]
  log(`isolated: start ${INSTANCES} instances      ${iso.toFixed(0).padStart(6)} ms   loopback ${loop.toFixed(0).padStart(6)} ms   ratio ${(iso / loop).toFixed(2)}x (target <= 3x)`)
  for (const [label, size, unit] of [['2 B answers', 2, 'rps'], ['1 MiB answers', 1 << 20, 'mbps']]) {
    const {direct, forwarded} = await throughput(size)
    const [d, f] = [median(direct.map((r) => r[unit])), median(forwarded.map((r) => r[unit]))]
    const name = unit === 'rps' ? 'req/s' : 'MB/s'
    log(`isolated: forwarded HTTP, ${label.padEnd(13)} ${f.toFixed(0).padStart(6)} ${name}   direct ${d.toFixed(0).padStart(6)} ${name}   ratio ${(f / d).toFixed(2)}x (target >= 0.5x)`)
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchIsolated()
