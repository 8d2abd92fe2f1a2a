/**
 * Can this machine run isolated mode? The kernel switches and tools that decide it, each with
 * the way to fix it, then a real trial: a namespace, bridge and veth with one instance in it, a
 * process run inside through `wrap`, all torn down. `up` uses the verdict to pick its default
 * network and prints `reason` when it falls back to loopback; `flotilla doctor` prints it all.
 */
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createIsolatedNetwork} from './network.js'
import {TOOLS, findTool} from './tools.js'

export interface ProbeCheck {
  name: string
  ok: boolean
  detail: string
  /** How to make it pass, when it does not. */
  fix?: string
}

export interface IsolatedProbe {
  available: boolean
  /** One line: why isolated mode is unavailable. */
  reason?: string
  checks: ProbeCheck[]
}

const readSysctl = (path: string): Promise<string | undefined> => readFile(path, 'utf8').then((s) => s.trim(), () => undefined)

export async function probeIsolated(): Promise<IsolatedProbe> {
  const checks: ProbeCheck[] = []
  if (process.platform !== 'linux') {
    checks.push({name: 'platform', ok: false, detail: `${process.platform} has no Linux network namespaces`, fix: 'use --network loopback (the default here)'})
    return verdict(checks)
  }
  checks.push({name: 'platform', ok: true, detail: 'linux'})
  for (const tool of Object.values(TOOLS)) {
    const path = await findTool(tool.name)
    const fix = `install ${tool.packageName} (e.g. \`sudo apt-get install ${tool.packageName.split(' ')[0]}\`)`
    if (path && tool === TOOLS.unshare && !(await unshareHasOptions(path))) {
      checks.push({name: tool.name, ok: false, detail: `${path} lacks --map-user and --keep-caps`, fix: 'update util-linux (unshare 2.38 is known to work)'})
    } else if (path) checks.push({name: tool.name, ok: true, detail: path})
    else if ('optional' in tool) checks.push({name: tool.name, ok: true, detail: `not found: ${tool.optional}`, fix})
    else checks.push({name: tool.name, ok: false, detail: 'not found', fix})
  }
  checks.push(...await userNamespaceChecks())
  if (checks.every((c) => c.ok)) checks.push(await trial())
  return verdict(checks)
}

async function unshareHasOptions(path: string): Promise<boolean> {
  const child = spawn(path, ['--help'], {stdio: ['ignore', 'pipe', 'ignore']})
  let help = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (help += d))
  await once(child, 'close')
  return help.includes('--map-user') && help.includes('--keep-caps')
}

async function userNamespaceChecks(): Promise<ProbeCheck[]> {
  const checks: ProbeCheck[] = []
  const max = await readSysctl('/proc/sys/user/max_user_namespaces')
  if (max !== undefined) {
    checks.push(max === '0'
      ? {name: 'user.max_user_namespaces', ok: false, detail: '0: user namespaces are disabled', fix: 'sudo sysctl -w user.max_user_namespaces=15000 (persist it in /etc/sysctl.d/)'}
      : {name: 'user.max_user_namespaces', ok: true, detail: max})
  }
  // Debian and older Ubuntu kernels only.
  const clone = await readSysctl('/proc/sys/kernel/unprivileged_userns_clone')
  if (clone !== undefined) {
    checks.push(clone === '0' && process.getuid?.() !== 0
      ? {name: 'kernel.unprivileged_userns_clone', ok: false, detail: '0: only root may create user namespaces', fix: 'sudo sysctl -w kernel.unprivileged_userns_clone=1 (persist it in /etc/sysctl.d/)'}
      : {name: 'kernel.unprivileged_userns_clone', ok: true, detail: clone})
  }
  // Ubuntu 23.10+: the namespace is created but has no capabilities, which only the trial shows.
  const apparmor = await readSysctl('/proc/sys/kernel/apparmor_restrict_unprivileged_userns')
  if (apparmor !== undefined) {
    checks.push(apparmor === '1' && process.getuid?.() !== 0
      ? {name: 'kernel.apparmor_restrict_unprivileged_userns', ok: false, detail: '1: AppArmor denies unconfined programs user namespaces',
        fix: `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or an AppArmor profile allowing \`userns,\` for ${process.execPath}`}
      : {name: 'kernel.apparmor_restrict_unprivileged_userns', ok: true, detail: apparmor})
  }
  return checks
}

/** The real thing, end to end: what `up --network isolated` does for one instance. */
async function trial(): Promise<ProbeCheck> {
  const dir = await mkdtemp(join(tmpdir(), 'flotilla-doctor-'))
  try {
    const network = await createIsolatedNetwork({sessionDir: dir})
    try {
      const instance = await network.attach({app: 'doctor', group: 'app', index: 0, machineId: '0d0c7000000000'})
      const [command = 'cat', ...args] = instance.wrap(['cat', '/etc/hosts'])
      const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe']})
      let output = ''
      child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d))
      child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d))
      const [code] = (await once(child, 'close')) as [number | null]
      await instance.release()
      if (code !== 0 || !output.includes(`${instance.ip}\tfly-local-6pn`)) {
        return {name: 'trial', ok: false, detail: `a process in the namespace failed: ${output.trim() || `exit ${code}`}`}
      }
      return {name: 'trial', ok: true, detail: `namespace, bridge and veth created and removed; an instance got ${instance.ip}`}
    } finally {
      await network.close()
    }
  } catch (error) {
    return {name: 'trial', ok: false, detail: (error as Error).message.replace(/; run `flotilla doctor`$/, ''),
      fix: 'check that unprivileged user namespaces are allowed (see the checks above)'}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

function verdict(checks: ProbeCheck[]): IsolatedProbe {
  const failed = checks.find((c) => !c.ok)
  return failed ? {available: false, reason: `${failed.name}: ${failed.detail}`, checks} : {available: true, checks}
}
