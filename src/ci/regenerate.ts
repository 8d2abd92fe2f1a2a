/**
 * The command written into a generated workflow's header: the same provider and every flag the
 * user set away from its default, so regenerating reproduces the same file byte for byte.
 */
export function regenerateCommand(flags: {provider: string; out?: string | undefined; test?: string | undefined; branch: string; flyctlVersion?: string | undefined; tokenPerApp: boolean}): string {
  const valued: [string, string | undefined][] = [
    ['--out', flags.out],
    ['--test', flags.test],
    ['--branch', flags.branch === 'main' ? undefined : flags.branch],
    ['--flyctl-version', flags.flyctlVersion],
  ]
  const extra = valued.filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${JSON.stringify(v)}`)
  if (flags.tokenPerApp) extra.push('--token-per-app')
  return ['npx flotilla ci generate --provider', flags.provider, ...extra, '--force'].join(' ')
}
