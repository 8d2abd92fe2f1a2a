// A stand-in for `up`, for the "SIGKILL leaves nothing behind" test: it builds an isolated network
// in the directory given, runs a process in one instance, forwards a port to it, prints what it
// made as one JSON line, then waits to be killed.
import {spawn} from 'node:child_process'
import {createIsolatedNetwork} from '../../../src/network/isolated/index.js'
import {echoServer} from './support.js'

const network = await createIsolatedNetwork({sessionDir: process.argv[2] ?? '.'})
const instance = await network.attach({app: 'owned', group: 'app', index: 0, machineId: '0e0e0e0e0e0e0e'})
const [command = '', ...args] = instance.wrap([process.execPath, '-e', echoServer, '7070'])
const app = spawn(command, args, {stdio: ['ignore', 'pipe', 'inherit']})
app.stdout.once('data', async () => {
  const forward = await network.forward(0, () => [{ip: instance.ip, port: 7070}])
  console.log(JSON.stringify({appPid: app.pid, hostPort: forward.hostPort}))
})
