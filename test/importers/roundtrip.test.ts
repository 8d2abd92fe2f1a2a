import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {chmod, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {test} from 'node:test'
import {parseToml, shellSplit} from '../../src/config/index.js'
import {importFile, writeImport} from '../../src/importers/index.js'
import {runCli, tempDir} from '../helpers/repo.js'

// Round trip against the real managers (Debian's foreman and supervisord, bash): each process
// writes its argv, working directory and environment to a file, then sleeps. The same files must
// come out when the imported [processes] commands run the way a Fly Machine runs them (split with
// flyctl's shlex rules, exec'd without a shell, with [env] in the environment), and when
// `flotilla up` runs the imported fly.toml.

/** Starts a process in its own process group, stopped (with all it started) when the test ends. */
function start(t: {after(fn: () => unknown): void}, argv: string[], cwd: string, env: Record<string, string>): ChildProcess {
  const child = spawn(argv[0] as string, argv.slice(1), {cwd, env: {...process.env, ...env}, detached: true, stdio: 'ignore'})
  t.after(() => stop(child))
  return child
}

/**
 * Stops a process and everything it started. Managers get SIGTERM first: supervisord and foreman
 * put each child in a process group of its own, so only they can stop their children.
 */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 10_000)
  await exited
  clearTimeout(timer)
  try {
    process.kill(-child.pid!, 'SIGKILL')
  } catch {} // the group is already empty
}

/** Waits (bounded) until every file exists (each is written whole, by rename), then returns their contents. */
async function outputs(files: string[]): Promise<string[]> {
  for (let i = 0; i < 400; i++) {
    const contents = await Promise.all(files.map((f) => readFile(f, 'utf8').catch(() => '')))
    if (contents.every((c) => c.endsWith('\n'))) return contents
    await sleep(50)
  }
  throw new Error(`timed out waiting for ${files.join(', ')}`)
}

/** `flotilla up --detach` on the imported fly.toml: the same outputs, then `flotilla down`. */
async function viaUp(dir: string, env: Record<string, string>, files: string[]): Promise<string[]> {
  await Promise.all(files.map((f) => rm(f, {force: true})))
  const up = await runCli(['up', '--detach', '--network', 'loopback'], {cwd: dir, env})
  try {
    assert.equal(up.code, 0, up.stderr)
    return await outputs(files)
  } finally {
    const down = await runCli(['down'], {cwd: dir})
    assert.equal(down.code, 0, down.stderr)
  }
}

/** Runs every group of the imported fly.toml as a Fly Machine would, in `cwd`. */
async function runImported(t: Parameters<typeof start>[0], config: string, cwd: string, env: Record<string, string>): Promise<ChildProcess[]> {
  const toml = parseToml(await readFile(config), config) as {processes: Record<string, string>; env?: Record<string, string>}
  return Object.values(toml.processes).map((command) => start(t, shellSplit(command), cwd, {...env, ...toml.env}))
}

/** A program that writes its argv, directory name and T_* variables to `out` (whole, by rename), then sleeps. */
async function writeRecorder(path: string, out: string): Promise<void> {
  await writeFile(path, `#!/bin/sh\n{ printf "%s\\n" "$@"; basename "$PWD"; env | grep "^T_" | sort; } > "${out}.tmp" && mv "${out}.tmp" "${out}"\nexec sleep 30\n`)
  await chmod(path, 0o755)
}

/**
 * The round trip: `tool` runs the source in `dir` and must write `expected` to `files`; then the
 * import of the source (`--to groups`) must write the same, run as a Machine would and under `up`.
 */
async function roundTrip(t: Parameters<typeof start>[0], trip: {dir: string; kind: Parameters<typeof importFile>[0]; source: string; tool: string[];
  files: string[]; env: Record<string, string>; expected: string[]}): Promise<void> {
  const {dir, files, env, expected} = trip
  const tool = start(t, trip.tool, dir, env)
  assert.deepEqual(await outputs(files), expected)
  await stop(tool)
  await Promise.all(files.map((f) => rm(f)))

  const plan = await importFile(trip.kind, join(dir, trip.source))
  await writeImport(plan, {to: 'groups', config: join(dir, 'fly.toml'), app: 'rt', force: false, invocation: 'test'})
  const children = await runImported(t, join(dir, 'fly.toml'), dir, env)
  assert.deepEqual(await outputs(files), expected)
  await Promise.all(children.map(stop))
  assert.deepEqual(await viaUp(dir, env, files), expected)
}

test('Procfile: foreman and the imported groups run the same processes with the same environment', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'sub'))
  const procfile = [
    `greet: GREETING="hello, world" sh -c 'printf "%s|%s\\n" "$GREETING" "$MSG" > greet.out; exec sleep 30'`,
    `args: printf '%s|' one "two words" "$MSG" > args.out && echo >> args.out && sleep 30`,
    'cwd: cd sub && basename "$(pwd)" > ../cwd.out && exec sleep 30',
    'plain: sleep 30',
  ].join('\n')
  await writeFile(join(dir, 'Procfile'), `${procfile}\n`)
  const files = ['greet.out', 'args.out', 'cwd.out'].map((f) => join(dir, f))
  const env = {MSG: 'from the environment'}

  await roundTrip(t, {dir, kind: 'procfile', source: 'Procfile', tool: ['foreman', 'start', '-f', 'Procfile', '-d', dir], files, env,
    expected: ['hello, world|from the environment\n', 'one|two words|from the environment|\n', 'sub\n']})
})

test('supervisord.conf: supervisord and the imported groups run the same argv, directory and environment', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'sub'))
  await writeRecorder(join(dir, 'record.sh'), '$OUT')
  await writeFile(join(dir, 'supervisord.conf'), [
    '[supervisord]',
    `logfile=${dir}/supervisord.log`, `pidfile=${dir}/supervisord.pid`, `childlogdir=${dir}`, 'nodaemon=true',
    'environment=T_GLOBAL="everyone"',
    '[program:plain]',
    `command=%(here)s/record.sh one "two words" 'three' ; a comment`,
    'directory=%(here)s/sub',
    'environment=OUT="%(here)s/plain.out",T_MSG="a,b",T_PCT="100%%"',
    '[program:deferred]',
    'command = %(here)s/record.sh --level %(ENV_T_LEVEL)s "%(ENV_T_LEVEL)s, quoted" %(program_name)s',
    'environment = OUT="%(here)s/deferred.out",',
    '  T_FROM_ENV="%(ENV_T_LEVEL)s"',
    // a value with a space: split by supervisord where it stands alone, kept whole in environment=
  ].join('\n'))
  const files = ['plain.out', 'deferred.out'].map((f) => join(dir, f))
  const env = {T_LEVEL: 'debug  two'}

  await roundTrip(t, {dir, kind: 'supervisord', source: 'supervisord.conf', tool: ['supervisord', '-n', '-c', join(dir, 'supervisord.conf')], files, env, expected: [
    'one\ntwo words\nthree\nsub\nT_GLOBAL=everyone\nT_LEVEL=debug  two\nT_MSG=a,b\nT_PCT=100%\n',
    `--level\ndebug\ntwo\ndebug  two, quoted\ndeferred\n${dir.split('/').pop()}\nT_FROM_ENV=debug  two\nT_GLOBAL=everyone\nT_LEVEL=debug  two\n`,
  ]})
})

test('shell entrypoint: bash and the imported groups run the same jobs with the same environment', async (t) => {
  const dir = await tempDir(t)
  await mkdir(join(dir, 'sub'))
  await writeRecorder(join(dir, 'sub', 'record.sh'), '../$OUT')
  await writeFile(join(dir, 'start.sh'), [
    '#!/bin/bash',
    'export T_MODE=prod',
    'cd sub',
    'OUT=worker.out ./record.sh worker one "two words" &',
    'WORKER=$!',
    'echo "started $WORKER"',
    'exec env OUT=web.out ./record.sh web --port "${T_PORT:-8080}"',
  ].join('\n'))
  const files = ['worker.out', 'web.out'].map((f) => join(dir, f))
  const env = {T_PORT: '9000'}

  await roundTrip(t, {dir, kind: 'script', source: 'start.sh', tool: ['bash', join(dir, 'start.sh')], files, env,
    expected: ['worker\none\ntwo words\nsub\nT_MODE=prod\nT_PORT=9000\n', 'web\n--port\n9000\nsub\nT_MODE=prod\nT_PORT=9000\n']})
})
