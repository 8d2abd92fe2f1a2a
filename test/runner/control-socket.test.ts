import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {chmod, stat} from 'node:fs/promises'
import {connect} from 'node:net'
import {join} from 'node:path'
import {test} from 'node:test'
import {controlRequest, isControlSocketLive, startControlServer} from '../../src/runner/control-socket.js'
import {tempDir} from '../helpers/repo.js'

function rawExchange(path: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(path)
    let out = ''
    socket.setEncoding('utf8').on('data', (d: string) => (out += d))
    socket.on('error', reject)
    socket.on('close', () => resolve(out))
    socket.write(payload)
  })
}

test('control socket: mode 0600 in a 0700 directory, requests answered, garbage refused', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, '.flotilla', 'control.sock')
  const server = await startControlServer(path, async (request, reply) => {
    if (request.op === 'logs') reply.send({line: {text: 'hello'}})
    return {echo: request.op}
  })
  t.after(() => server.close())
  assert.equal((await stat(path)).mode & 0o777, 0o600)
  assert.equal((await stat(join(dir, '.flotilla'))).mode & 0o777, 0o700)

  assert.deepEqual(await controlRequest(path, {op: 'status'}), {echo: 'status'})
  const lines: unknown[] = []
  assert.deepEqual(await controlRequest(path, {op: 'logs', follow: false}, (l) => lines.push(l)), {echo: 'logs'})
  assert.deepEqual(lines, [{text: 'hello'}])

  for (const garbage of ['not json\n', '{"op":"rm -rf"}\n', '[1,2]\n', '{"op":"restart"}\n', '{"op":"logs","tail":-1}\n']) {
    const answer = JSON.parse(await rawExchange(path, garbage))
    assert.deepEqual(answer.ok, false, garbage)
    assert.equal(answer.error.code, 'E_BAD_REQUEST')
  }
  const tooLong = JSON.parse(await rawExchange(path, 'x'.repeat(70_000)))
  assert.equal(tooLong.error.code, 'E_BAD_REQUEST')
  // The server is still healthy after all that.
  assert.deepEqual(await controlRequest(path, {op: 'down'}), {echo: 'down'})
})

test('control socket: a live socket is not taken over, a stale one is replaced', async (t) => {
  const dir = await tempDir(t)
  const path = join(dir, 'control.sock')
  const first = await startControlServer(path, async () => 'first')
  await assert.rejects(startControlServer(path, async () => 'second'), {code: 'E_ALREADY_RUNNING'})
  await first.close()

  // A socket left behind by a killed process: its file stays, nobody answers.
  const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`])
  await once(holder.stdout, 'data')
  holder.kill('SIGKILL')
  await once(holder, 'exit')
  assert.ok((await stat(path)).isSocket())
  assert.equal(await isControlSocketLive(path), false)
  const second = await startControlServer(path, async () => 'second')
  t.after(() => second.close())
  assert.equal(await controlRequest(path, {op: 'status'}), 'second')
})

test('control client: no server is E_NOT_RUNNING', async (t) => {
  const dir = await tempDir(t)
  await assert.rejects(controlRequest(join(dir, 'control.sock'), {op: 'status'}), {code: 'E_NOT_RUNNING'})
})

test('control socket: another user cannot connect', {skip: process.getuid?.() !== 0 && 'needs root to run a client as another user'}, async (t) => {
  const dir = await tempDir(t)
  // Only flotilla's own permissions stand in the way: the workspace itself is open to all.
  await chmod(dir, 0o755)
  const path = join(dir, '.flotilla', 'control.sock')
  const server = await startControlServer(path, async () => 'answered')
  t.after(() => server.close())
  const client = `require('node:net').connect(${JSON.stringify(path)}).on('connect', () => { console.log('connected'); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(0) })`
  const other = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', client])
  let output = ''
  other.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
  await once(other, 'exit')
  assert.equal(output.trim(), 'EACCES')
  assert.equal(await controlRequest(path, {op: 'status'}), 'answered')
})
