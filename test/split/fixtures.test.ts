/**
 * Every real fly.toml splits or fails with a located message, and every split keeps what each
 * group's Machines get: toMachineConfig(original, g) equals toMachineConfig(output for g, g),
 * except for the changes the plan reports (statics kept by the public app, rewritten env values).
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {test} from 'node:test'
import {loadFlyConfig, toMachineConfig, type FlyConfig, type MachineConfig} from '../../src/config/index.js'
import {LocatedError} from '../../src/errors.js'
import {planSplit, type SplitPlan} from '../../src/split/index.js'
import {appNameProblem} from '../../src/config/index.js'
import {parseWorkspace} from '../../src/workspace/index.js'
import {fixture} from '../helpers/repo.js'

const names = readdirSync(fixture('fly')).filter((name) => name.endsWith('.toml')).sort()

function machineOrError(config: FlyConfig, group: string): MachineConfig | string {
  try {
    return toMachineConfig(config, group)
  } catch (error) {
    return (error as Error).message
  }
}

function assertSplitKeepsMachines(name: string, original: FlyConfig, plan: SplitPlan): void {
  for (const app of plan.apps) {
    const file = plan.files.find((f) => f.path === app.config)!
    const loaded = loadFlyConfig(file.content, app.config)
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error')
    assert.deepEqual(errors, [], `${name}: ${app.config} must validate`)
    const output = loaded.config
    assert.equal(output.app, app.name)
    assert.deepEqual(Object.keys(output.processes ?? {}), [app.group], `${name}: one group, under its original name`)
    assert.equal(output.processes?.[app.group], original.processes?.[app.group])

    const before = machineOrError(original, app.group)
    const after = machineOrError(output, app.group)
    if (typeof before === 'string' || typeof after === 'string') {
      assert.equal(typeof after, typeof before, `${name}/${app.group}: ${String(before)} vs ${String(after)}`)
      continue
    }
    const rewritten = new Set(app.changes.flatMap((change) => /^env (\S+): /.exec(change)?.[1] ?? []))
    for (const key of rewritten) assert.ok(plan.warnings.some((w) => w.code === 'W_ENV_REWRITTEN' && w.path === `env.${key}` && w.message.includes(app.name)))
    for (const key of rewritten) {
      assert.notEqual(after.env[key], before.env[key])
      assert.match(after.env[key]!, /\.internal/)
      delete before.env[key]
      delete after.env[key]
    }
    if (!app.public && before.statics) {
      assert.ok(app.changes.some((change) => change.startsWith('dropped [[statics]]')), `${name}/${app.group}: the dropped statics are listed`)
      delete before.statics
    }
    assert.deepEqual(after, before, `${name}: group ${app.group} must get the same Machine config`)
  }
}

test('every real fixture splits, or fails with a located message', () => {
  let split = 0
  for (const name of names) {
    const text = readFileSync(fixture('fly', name))
    let config: FlyConfig
    let plan: SplitPlan
    try {
      const loaded = loadFlyConfig(text, name)
      const error = loaded.diagnostics.find((d) => d.severity === 'error')
      if (error) {
        assert.ok(error.line !== undefined || error.keyPath !== undefined, `${name}: ${error.message} must be located`)
        continue
      }
      config = loaded.config
      plan = planSplit(config, {file: name, source: 'fly.toml', allow: ['shared-volume']})
    } catch (error) {
      assert.ok(error instanceof LocatedError, `${name}: ${String(error)}`)
      assert.equal(error.location.file, name)
      assert.ok(error.location.line !== undefined || error.location.keyPath !== undefined, `${name}: ${error.message}`)
      continue
    }
    split++
    const apps = plan.apps.map((app) => app.name)
    assert.equal(new Set(apps).size, apps.length, `${name}: app names are unique`)
    for (const app of apps) assert.equal(appNameProblem(app), undefined)
    assert.equal(plan.apps.filter((app) => app.public).length, 1)
    assert.equal(plan.apps.find((app) => app.public)?.name, config.app, `${name}: the public group keeps the app name`)
    assert.ok(plan.apps.filter((app) => app.release).length <= 1, `${name}: release_command in at most one app`)
    const ws = parseWorkspace(plan.files.find((f) => f.path === 'flotilla.toml')!.content, '/x/flotilla.toml')
    assert.deepEqual(ws.apps.map((a) => [a.name, a.group, a.config]), plan.apps.map((a) => [a.name, a.group, a.config]))
    assert.deepEqual(planSplit(config, {file: name, source: 'fly.toml', allow: ['shared-volume']}).files, plan.files, `${name}: deterministic`)
    assertSplitKeepsMachines(name, config, plan)
  }
  assert.ok(split >= 35, `only ${split} fixtures split`)
})
