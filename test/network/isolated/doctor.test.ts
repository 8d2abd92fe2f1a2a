import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {join} from 'node:path'
import {test} from 'node:test'
import {repoRoot} from '../../helpers/repo.js'

test('flotilla doctor --json: every check with its verdict, exit 0 when isolated mode works, 1 when not', async () => {
  const child = spawn(process.execPath, [join(repoRoot, 'bin/dev.js'), 'doctor', '--json'], {cwd: repoRoot, env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  const [code] = (await once(child, 'close')) as [number]
  const probe = JSON.parse(stdout) as {available: boolean; reason?: string; checks: {name: string; ok: boolean; detail: string; fix?: string}[]}
  assert.deepEqual(probe.checks.slice(0, 7).map((c) => c.name), ['platform', 'hostname', 'ip', 'mount', 'nsenter', 'setpriv', 'unshare'])
  assert.equal(code, probe.available ? 0 : 1)
  if (probe.available) assert.equal(probe.checks.at(-1)?.name, 'trial')
  else assert.ok(probe.reason && probe.checks.some((c) => !c.ok && c.fix), 'an unavailable mode says why and how to fix it')
})
