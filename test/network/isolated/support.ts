import {spawn, type ChildProcess} from 'node:child_process'
import {once} from 'node:events'
import {createInterface} from 'node:readline'
import type {InstanceNetwork} from '../../../src/network/network-mode.js'

type After = {after(fn: () => unknown): void}

/** Runs argv inside the instance's namespaces to completion. */
export async function runIn(instance: InstanceNetwork, argv: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  const [command = '', ...args] = instance.wrap(argv)
  const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: {...process.env, ...instance.env}})
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const [code] = (await once(child, 'close')) as [number | null]
  return {code, stdout, stderr}
}

/** Starts a Node script inside the instance and waits for its first stdout line; killed when the test ends. */
export async function startIn(t: After, instance: InstanceNetwork, script: string, ...args: string[]): Promise<ChildProcess> {
  const [command = '', ...rest] = instance.wrap([process.execPath, '-e', script, ...args])
  const child = spawn(command, rest, {stdio: ['ignore', 'pipe', 'inherit']})
  t.after(() => child.kill('SIGKILL'))
  const line = await new Promise<string | undefined>((resolve) => {
    createInterface({input: child.stdout!}).once('line', resolve)
    child.once('exit', () => resolve(undefined))
  })
  if (line === undefined) throw new Error(`${script} exited before it was ready`)
  return child
}

/** An HTTP server answering its name on every request; prints "listening" once bound. */
export const nameServer = `
const [name, host, port] = process.argv.slice(1)
require('node:http').createServer((req, res) => res.end(name)).listen(Number(port), host, () => console.log('listening'))`

/** A TCP echo server; prints "listening" once bound. */
export const echoServer = `
require('node:net').createServer({allowHalfOpen: true}, (s) => s.pipe(s)).listen(Number(process.argv[1]), '::', () => console.log('listening'))`
