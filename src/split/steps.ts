import {posix} from 'node:path'
import type {FlyConfig} from '../config/index.js'
import type {PlannedApp} from './types.js'

/**
 * The commands that make the planned apps real, in the order they must run (fly-platform.md 3.1):
 * create the apps, give them their secrets and volumes, then deploy the release app first so its
 * release_command migrates before the others start. Deploying the app that keeps the original
 * name removes the moved groups' Machines from it.
 */
export function planSteps(apps: PlannedApp[], original: FlyConfig, outDisplay: string): string[] {
  const fresh = apps.filter((app) => app.name !== original.app)
  const region = original.primary_region ?? '<region>'
  const steps = fresh.map((app) => `fly apps create ${app.name}`)
  if (original.app !== undefined) steps.push(`fly secrets list -a ${original.app}  # names of the secrets to copy; values cannot be read back`)
  for (const app of fresh) {
    steps.push(`fly secrets import --stage -a ${app.name} < ${app.name}.secrets.env  # NAME=VALUE lines; keep out of git`)
  }
  for (const app of fresh) {
    for (const mount of app.fly.mounts ?? []) {
      steps.push(`fly volumes create ${mount.source ?? 'data'} -a ${app.name} -r ${region} -s ${volumeSizeGb(mount.initial_size)}  # one per Machine; data does not move from ${original.app ?? 'the old app'}`)
    }
  }
  const deployOrder = [...apps.filter((app) => app.release), ...apps.filter((app) => !app.release)]
  for (const app of deployOrder) steps.push(`fly deploy -c ${posix.join(outDisplay, app.config)}`)
  return steps
}

/** `initial_size` is GB ("10", "10gb"); fly volumes create takes whole GB (default 1). */
function volumeSizeGb(size: string | undefined): number {
  const match = /^(\d+)\s*(gb)?$/i.exec(size?.trim() ?? '')
  return match ? Math.max(1, Number(match[1])) : 1
}
