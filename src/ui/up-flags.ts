/** Flags shared by `up` and `exec`: what to run and on which network. */
import {Errors, Flags} from '@oclif/core'

export const runFlags = {
  only: Flags.string({multiple: true, description: 'run only this app (name, process group or app[group]); repeatable'}),
  scale: Flags.string({multiple: true, description: 'run N instances of APP: APP=N; repeatable'}),
  network: Flags.option({options: ['loopback', 'isolated'] as const, default: 'loopback',
    description: 'loopback: each instance its own 127.0.0.x; isolated: a network namespace each (Linux)'})(),
}

export function planOptions(flags: {only?: string[] | undefined; scale?: string[] | undefined}): {only: string[]; scale: Record<string, number>} {
  const scale: Record<string, number> = {}
  for (const input of flags.scale ?? []) {
    const match = /^(.+)=(\d+)$/.exec(input)
    if (!match) throw new Errors.CLIError(`--scale expects APP=N (a count), got ${JSON.stringify(input)}`, {exit: 2})
    scale[match[1]!] = Number(match[2])
  }
  return {only: flags.only ?? [], scale}
}
