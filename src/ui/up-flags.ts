/** Flags shared by `up` and `exec`: what to run. */
import {Errors, Flags} from '@oclif/core'

export const runFlags = {
  only: Flags.string({multiple: true, description: 'run only this app (name, process group or app[group]); repeatable'}),
  scale: Flags.string({multiple: true, description: 'run N instances of APP: APP=N; repeatable'}),
  'wait-timeout': Flags.integer({default: 60, min: 1, description: 'seconds to wait for the apps to be started (healthy with up --wait, and for exec); then exit 3 naming the ones that are not'}),
}

export const networkFlag = Flags.option({options: ['auto', 'loopback', 'isolated'] as const, default: 'auto',
  description: 'isolated: a Fly-like network namespace per instance (Linux); loopback: a 127.0.0.x each; auto: isolated where possible'})()

export function planOptions(flags: {only?: string[] | undefined; scale?: string[] | undefined}): {only: string[]; scale: Record<string, number>} {
  const scale: Record<string, number> = {}
  for (const input of flags.scale ?? []) {
    const match = /^(.+)=(\d+)$/.exec(input)
    if (!match) throw new Errors.CLIError(`--scale expects APP=N (a count), got ${JSON.stringify(input)}`, {exit: 2})
    scale[match[1]!] = Number(match[2])
  }
  return {only: flags.only ?? [], scale}
}
