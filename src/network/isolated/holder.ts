/**
 * The network holder: the one long-lived process of an isolated session, started by network.ts as
 * `unshare --user --map-user=<self> --keep-caps --net --mount -- node holder.js DIR TOOLS`. In
 * its namespaces it owns the bridge (the 6PN of the session), one child net+mount+uts namespace
 * per instance (held open by a tiny `sh` waiting on a pipe from here), the resolver at
 * `fdaa::3:53` (relayed to the host's `.internal` server through the IPC channel), the proxy
 * side of port forwards, and the egress proxy (egress-proxy.ts). When the IPC channel closes
 * (`up` exited, even by SIGKILL) it kills what it started and exits; the kernel then drops the
 * namespaces, bridge and veths.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {once} from 'node:events'
import {rm, writeFile} from 'node:fs/promises'
import {connect, createServer, type Socket} from 'node:net'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {BRIDGE_6PN, BRIDGE_V4, EGRESS_PROXY_PORT, PREFIX_6PN, PREFIX_V4, RESOLVER, resolvConf} from './addresses.js'
import {serveEgressProxy} from './egress-proxy.js'
import type {AttachSpec, ForwardTarget, HolderMessage, HolderTools, HostMessage} from './protocol.js'

const [dir = '', toolsJson = '{}'] = process.argv.slice(2)
const tools = JSON.parse(toolsJson) as HolderTools

interface Namespace {
  pause: ChildProcess
  veth: string
  ip4: string
}
const namespaces = new Map<number, Namespace>()
/** 6PN address -> IPv4 address: Fly Proxy reaches a Machine over IPv4, so our forwards do too. */
const proxyAddresses = new Map<string, string>()

function send(message: HolderMessage): void {
  process.send?.(message)
}

/** Runs a tool to completion; rejects with its stderr. */
async function run(command: string, args: string[], input?: string): Promise<void> {
  const child = spawn(command, args, {stdio: ['pipe', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  child.stdin.end(input)
  const [code] = (await once(child, 'close')) as [number | null]
  if (code !== 0) throw new Error(`${command} ${args.join(' ')}: ${stderr.trim() || `exit ${code}`}`)
}

async function setUp(): Promise<void> {
  await run(tools.ip, ['-batch', '-'], [
    'link set lo up',
    'link add br0 type bridge',
    'link set br0 up',
    `addr add ${BRIDGE_6PN}/${PREFIX_6PN} dev br0 nodad`,
    `addr add ${RESOLVER}/128 dev br0 nodad`,
    `addr add ${BRIDGE_V4}/${PREFIX_V4} dev br0`,
    '',
  ].join('\n'))
  // A tmpfs seen only in these mount namespaces: the per-instance files vanish with them.
  await run(tools.mount, ['-t', 'tmpfs', '-o', 'mode=0755,size=1m', 'flotilla-net', dir])
  await writeFile(join(dir, 'resolv.conf'), resolvConf)
  await Promise.all([serveDnsUdp(), serveDnsTcp(), serveEgressProxy(BRIDGE_V4, EGRESS_PROXY_PORT, dialFromHost)])
}

// Runs inside the instance's fresh namespaces: prints its pid, waits until the holder has moved
// the veth in, configures it, mounts the Fly-like files, then waits for EOF on stdin (the holder
// releasing it, or dying) so the namespaces live exactly as long as they are wanted.
const PAUSE = `set -e
echo $$
read -r _
"$1" -batch - <<EOF
link set lo up
link set eth0 up
addr add $2/${PREFIX_6PN} dev eth0 nodad
addr add $3/32 dev eth0
route add ${BRIDGE_V4}/32 dev eth0
route add ${RESOLVER}/128 dev eth0
EOF
echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start
[ -z "$8" ] || "$8" "$4"
"$5" --bind "$6" /etc/hosts
"$5" --bind "$7" /etc/resolv.conf
echo ready
exec cat > /dev/null`

async function attach(spec: AttachSpec): Promise<number> {
  const hosts = join(dir, `hosts-${spec.slot}`)
  await writeFile(hosts, spec.hosts)
  const pause = spawn(tools.unshare, ['--net', '--mount', '--uts', '--propagation', 'slave', '--', 'sh', '-c', PAUSE, 'pause',
    tools.ip, spec.ip6, spec.ip4, spec.hostname, tools.mount, hosts, join(dir, 'resolv.conf'), tools.hostname], {stdio: ['pipe', 'pipe', 'pipe']})
  const veth = `veth${spec.slot}`
  namespaces.set(spec.slot, {pause, veth, ip4: spec.ip4})
  proxyAddresses.set(spec.ip6, spec.ip4)
  let stderr = ''
  pause.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  // A pause that fails to start or dies early (its script runs with set -e) shows up as a
  // missing line below; its stderr, read to the end, says why.
  const closed = new Promise((resolve) => pause.once('close', resolve).on('error', resolve))
  pause.stdin!.on('error', () => {})
  const lines = createInterface({input: pause.stdout!})[Symbol.asyncIterator]()
  const fail = async (): Promise<never> => {
    await closed
    throw new Error(`could not create the namespace of ${spec.hostname}: ${stderr.trim() || 'it exited early'}`)
  }
  const pid = Number((await lines.next()).value)
  if (!pid) return fail()
  await run(tools.ip, ['-batch', '-'], `link add ${veth} type veth peer name eth0 netns ${pid}\nlink set ${veth} master br0\nlink set ${veth} up\n`)
  pause.stdin!.write('go\n')
  if ((await lines.next()).value !== 'ready') return fail()
  return pid
}

async function release(slot: number): Promise<void> {
  const ns = namespaces.get(slot)
  if (!ns) return
  namespaces.delete(slot)
  for (const [ip6, ip4] of proxyAddresses) if (ip4 === ns.ip4) proxyAddresses.delete(ip6)
  ns.pause.stdin?.end()
  ns.pause.kill('SIGKILL')
  // Deleting the bridge side cuts off any process still inside the instance's namespace.
  await run(tools.ip, ['link', 'del', ns.veth]).catch(() => {})
  await rm(join(dir, `hosts-${slot}`), {force: true})
}

/** Connects the client to the first target that accepts, like Fly Proxy retrying another Machine. */
function relay(client: Socket, targets: ForwardTarget[]): void {
  client.allowHalfOpen = true // a client's FIN must not cut off the answer still coming back
  let upstream: Socket | undefined
  client.on('error', () => upstream?.destroy())
  const tryTarget = (index: number): void => {
    const target = targets[index]
    if (!target || client.destroyed) return void client.destroy()
    const socket = connect({host: proxyAddresses.get(target.ip) ?? target.ip, port: target.port, allowHalfOpen: true})
    socket.once('error', () => tryTarget(index + 1))
    socket.once('connect', () => {
      socket.removeAllListeners('error')
      socket.on('error', () => client.destroy())
      if (client.destroyed) return void socket.destroy()
      upstream = socket
      client.pipe(socket).pipe(client)
    })
  }
  tryTarget(0)
}

let nextQuery = 0
const pendingQueries = new Map<number, (answer: Buffer) => void>()

function askHost(query: Buffer, tcp: boolean): Promise<Buffer> {
  const id = nextQuery++
  send({t: 'dns', id, tcp, data: query.toString('base64')})
  return new Promise((resolve) => pendingQueries.set(id, resolve))
}

async function serveDnsUdp(): Promise<void> {
  const udp = createSocket({type: 'udp6'})
  udp.on('message', (query, peer) => {
    void askHost(query, false).then((answer) => udp.send(answer, peer.port, peer.address))
  })
  // Bound to the resolver's address, not ::, so answers leave from the address the asker used;
  // resolvers drop answers from any other source.
  udp.bind(53, RESOLVER)
  await once(udp, 'listening')
}

async function serveDnsTcp(): Promise<void> {
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0)
    socket.on('error', () => socket.destroy())
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk])
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const query = buffered.subarray(2, 2 + buffered.readUInt16BE(0))
        buffered = buffered.subarray(2 + query.length)
        void askHost(query, true).then((answer) => {
          const length = Buffer.alloc(2)
          length.writeUInt16BE(answer.length)
          if (!socket.destroyed) socket.write(Buffer.concat([length, answer]))
        })
      }
    })
  })
  server.listen(53, RESOLVER)
  await once(server, 'listening')
}

let nextDial = 0
const pendingDials = new Map<number, {resolve(socket: Socket): void; reject(error: Error): void}>()

function dialFromHost(host: string, port: number): Promise<Socket> {
  const id = nextDial++
  send({t: 'dial', id, host, port})
  return new Promise((resolve, reject) => pendingDials.set(id, {resolve, reject}))
}

function shutDown(): void {
  for (const ns of namespaces.values()) ns.pause.kill('SIGKILL')
  process.exit(0)
}

process.on('disconnect', shutDown)
process.on('message', (message: HostMessage, handle?: Socket) => {
  switch (message.t) {
    case 'attach':
      attach(message.spec).then(
        (pid) => send({t: 'reply', id: message.id, pid}),
        // Undo the half-made namespace, so the slot (and its veth name) can be used again.
        (error: Error) => release(message.spec.slot).then(() => send({t: 'reply', id: message.id, error: error.message})))
      break
    case 'release':
      void release(message.slot).then(() => send({t: 'reply', id: message.id}))
      break
    case 'forward':
      if (handle) relay(handle, message.targets)
      break
    case 'dialed': {
      const dial = pendingDials.get(message.id)
      pendingDials.delete(message.id)
      if (handle) dial?.resolve(handle)
      else dial?.reject(new Error(message.error ?? 'could not connect'))
      break
    }
    case 'dns-reply':
      pendingQueries.get(message.id)?.(Buffer.from(message.data, 'base64'))
      pendingQueries.delete(message.id)
      break
  }
})

setUp().then(() => send({t: 'ready'}), (error: Error) => {
  send({t: 'fatal', message: error.message})
  shutDown()
})
