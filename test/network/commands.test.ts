import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {rename, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {setTimeout as sleep} from 'node:timers/promises'
import {repoRoot, runCli, tempDir} from '../helpers/repo.js'
import {run, sampleInstances} from './support.js'

const registryFile = (instances = sampleInstances()): string => {
  const apps = new Map<string, object[]>()
  for (const {app, ...rest} of instances) apps.set(app, [...(apps.get(app) ?? []), rest])
  return JSON.stringify({apps: [...apps].map(([name, list]) => ({name, instances: list}))})
}

/** Starts `flotilla dns serve ARGS` (the built CLI) and resolves once it printed its first line. */
async function serve(t: {after(fn: () => unknown): void}, args: string[], cwd: string): Promise<{child: ChildProcess; firstLine: string; port: number}> {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'run.js'), 'dns', 'serve', ...args], {cwd, stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1'}})
  t.after(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'))
  let out = ''
  child.stdout!.setEncoding('utf8')
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  while (!out.includes('\n')) {
    const [chunk] = (await Promise.race([once(child.stdout!, 'data'), once(child, 'exit').then(() => [undefined])])) as [string | undefined]
    if (chunk === undefined) throw new Error(`dns serve exited: ${stderr}`)
    out += chunk
  }
  const firstLine = out.split('\n')[0]!
  return {child, firstLine, port: Number(/:(\d+) \(udp\+tcp\)$/.exec(firstLine)?.[1])}
}

test('dns serve --registry: first line, answers, follows the file, stops cleanly on SIGTERM', async (t) => {
  const dir = await tempDir(t)
  const file = join(dir, 'registry.json')
  await writeFile(file, registryFile())
  const {child, firstLine, port} = await serve(t, ['--registry', file, '--port', '0'], dir)
  assert.match(firstLine, /^listening on 127\.0\.0\.1:\d+ \(udp\+tcp\)$/)
  const dig = async (...args: string[]): Promise<string> => (await run('dig', ['@127.0.0.1', '-p', String(port), '+short', ...args])).stdout.trim()
  assert.equal(await dig('shop.internal', 'AAAA'), 'fdaa:0:1:a7b:1::2\nfdaa:0:1:a7b:1::3')
  assert.equal(await dig('_apps.internal', 'TXT'), '"shop,shop-db"')
  const resolved = await runCli(['resolve', 'vms.shop.internal', 'TXT', '--server', `127.0.0.1:${port}`])
  assert.equal(resolved.code, 0)
  assert.equal(resolved.stdout, '"148e21dad76789 ams,4d89699c030518 sea"\n')
  const missing = await runCli(['resolve', 'nope.internal', '--json'], {env: {FLOTILLA_DNS: `127.0.0.1:${port}`}})
  assert.equal(missing.code, 1)
  assert.equal(JSON.parse(missing.stdout).rcode, 'NXDOMAIN')
  // an atomic rewrite (temp + rename), as `up` writes .flotilla/registry.json
  await writeFile(join(dir, 'next.json'), registryFile(sampleInstances().filter((i) => i.app === 'shop-db')))
  await rename(join(dir, 'next.json'), file)
  for (let tries = 0; tries < 50 && (await dig('_apps.internal', 'TXT')) !== '"shop-db"'; tries++) await sleep(50)
  assert.equal(await dig('_apps.internal', 'TXT'), '"shop-db"')
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  assert.equal(code, 0)
})

test('dns serve on ./flotilla.toml, and its input errors', async (t) => {
  const dir = await tempDir(t)
  await writeFile(join(dir, 'flotilla.toml'), '[[app]]\nname = "shop"\nconfig = "fly.web.toml"\ngroup = "web"\n\n[[app]]\nname = "shop-worker"\nconfig = "fly.worker.toml"\ngroup = "worker"\n')
  const {child, port} = await serve(t, [], dir)
  const {stdout} = await run('dig', ['@::1', '-p', String(port), '+short', 'worker.process.shop-worker.internal', 'AAAA'])
  assert.equal(stdout, '::ffff:127.0.0.3\n')
  child.kill('SIGINT')
  assert.deepEqual(await once(child, 'exit'), [0, null])
  const json = await serve(t, ['--json', '--bind', '127.0.0.1'], dir)
  assert.deepEqual(JSON.parse(json.firstLine), {address: '127.0.0.1', port: JSON.parse(json.firstLine).port, addresses: [{address: '127.0.0.1', port: JSON.parse(json.firstLine).port}]})
  json.child.kill('SIGTERM')
  assert.deepEqual(await once(json.child, 'exit'), [0, null])
  const empty = await tempDir(t)
  const none = await runCli(['dns', 'serve'], {cwd: empty})
  assert.equal(none.code, 2)
  assert.match(none.stderr, /no \.\/flotilla\.toml here/)
  await writeFile(join(empty, 'bad.json'), '{"apps": [{"name": "shop", "instances": [{"id": "x"}]}]}')
  const bad = await runCli(['dns', 'serve', '--registry', 'bad.json'], {cwd: empty})
  assert.equal(bad.code, 2)
  assert.match(bad.stderr, /bad\.json: apps\[0\]\.instances\[0\]\.group: must be a process group name/)
})

test('getent (glibc) resolves .internal inside a user+net+mount namespace whose resolv.conf points at dns serve', async (t) => {
  const probe = await run('unshare', ['--user', '--map-root-user', '--net', '--mount', 'true']).then(() => true, () => false)
  if (!probe) return t.skip('unprivileged user namespaces are not available here (unshare --user failed)')
  const dir = await tempDir(t)
  await writeFile(join(dir, 'registry.json'), registryFile())
  await writeFile(join(dir, 'resolv.conf'), 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n')
  // resolv.conf has no port syntax, so the server takes port 53 inside the namespace (allowed there).
  const script = `
    ip link set lo up
    mount --bind ${dir}/resolv.conf /etc/resolv.conf
    ${process.execPath} ${repoRoot}/bin/run.js dns serve --registry ${dir}/registry.json --port 53 > ${dir}/serve.log 2>&1 &
    server=$!
    for i in $(seq 50); do grep -q listening ${dir}/serve.log && break; sleep 0.1; done
    echo "--- ahosts"; getent ahosts shop.internal
    echo "--- ahosts db"; getent ahosts shop-db.internal
    echo "--- nope"; getent hosts nope.internal; echo "rc=$?"
    kill $server; wait $server
    echo "server rc=$?"`
  const {stdout} = await run('unshare', ['--user', '--map-root-user', '--net', '--mount', 'bash', '-c', script], {timeout: 30_000})
  const section = (name: string): string => stdout.split(`--- ${name}\n`)[1]!.split('---')[0]!
  assert.match(section('ahosts'), /^fdaa:0:1:a7b:1::2\s+STREAM shop\.internal/m)
  assert.match(section('ahosts'), /^fdaa:0:1:a7b:1::3\s+STREAM/m)
  assert.match(section('ahosts db'), /^::ffff:127\.0\.0\.9\s+STREAM shop-db\.internal/m)
  assert.match(section('nope'), /rc=2/)
  assert.match(stdout, /server rc=0/)
})
