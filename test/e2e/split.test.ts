import assert from 'node:assert/strict'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import {join, relative} from 'node:path'
import {test} from 'node:test'
import {parseWorkspace} from '../../src/workspace/index.js'
import {fixture, runCli, tempDir} from '../helpers/repo.js'

const ACE = fixture('fly', 'DannyMac180__ace-platform__fly.toml')
const ACE_FILES = ['flotilla.toml', 'fly.api.toml', 'fly.beat.toml', 'fly.mcp.toml', 'fly.worker.toml']

async function snapshot(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir).catch(() => [] as string[])).sort()
  return Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(join(dir, name), 'utf8')] as const)))
}

test('split writes one config per group plus flotilla.toml; re-runs are byte-identical; --check and --force', async (t) => {
  const dir = await tempDir(t)
  const out = join(dir, 'apps')
  const first = await runCli(['split', ACE, '--out', out])
  assert.equal(first.code, 0, first.stderr)
  assert.match(first.stdout, /into 4 apps/)
  assert.match(first.stdout, /fly apps create ace-platform-worker/)
  assert.match(first.stderr, /W_IPV4_LISTENER/)
  const files = await snapshot(out)
  assert.deepEqual(Object.keys(files), ACE_FILES)
  assert.match(files['fly.worker.toml']!, /^app = 'ace-platform-worker'$/m)
  assert.match(files['fly.api.toml']!, /^ {2}dockerfile = '.*\/shared\/fixtures\/real\/fly\/Dockerfile'$/m, 'relative to the new file')
  const ws = parseWorkspace(files['flotilla.toml']!, join(out, 'flotilla.toml'))
  assert.deepEqual(ws.apps.map((a) => a.name), ['ace-platform', 'ace-platform-beat', 'ace-platform-mcp', 'ace-platform-worker'])

  for (const file of ACE_FILES.filter((name) => name.startsWith('fly.'))) {
    const validate = await runCli(['validate', join(out, file)])
    assert.equal(validate.code, 0, `flotilla validate ${file}: ${validate.stdout}${validate.stderr}`)
  }

  const again = await runCli(['split', ACE, '--out', out])
  assert.equal(again.code, 0, again.stderr)
  assert.match(again.stdout, /already up to date/)
  assert.deepEqual(await snapshot(out), files)
  const clean = await runCli(['split', ACE, '--out', out, '--check'])
  assert.equal(clean.code, 0, clean.stderr)

  await writeFile(join(out, 'fly.beat.toml'), files['fly.beat.toml']!.replace("memory = '256mb'", "memory = '2gb'"))
  const edited = await snapshot(out)
  const drift = await runCli(['split', ACE, '--out', out, '--check'])
  assert.equal(drift.code, 1)
  assert.match(drift.stdout, /^-  memory = '2gb'$/m)
  assert.match(drift.stdout, /^\+  memory = '256mb'$/m)
  assert.deepEqual(await snapshot(out), edited, '--check writes nothing')

  const refused = await runCli(['split', ACE, '--out', out])
  assert.equal(refused.code, 2)
  assert.match(refused.stderr, /fly\.beat\.toml already exists with other content; pass --force/)
  assert.deepEqual(await snapshot(out), edited)
  const forced = await runCli(['split', ACE, '--out', out, '--force'])
  assert.equal(forced.code, 0, forced.stderr)
  assert.deepEqual(await snapshot(out), files)

  // flotilla.toml is the user's: local settings, comments and layout are not drift.
  const local = `${files['flotilla.toml']!}# run two workers locally\n[app.local]\n  count = 2\n`
  await writeFile(join(out, 'flotilla.toml'), local)
  const kept = await runCli(['split', ACE, '--out', out, '--check'])
  assert.equal(kept.code, 0, kept.stdout)
  assert.equal((await runCli(['split', ACE, '--out', out, '--force'])).code, 0)
  assert.equal(await readFile(join(out, 'flotilla.toml'), 'utf8'), local)
})

test('the check CI runs (no flags) passes after a split with --name, --public and --release-in, and catches edits', async (t) => {
  const out = await tempDir(t)
  const first = await runCli(['split', ACE, '--out', out, '--name', 'beat=ace-cron', '--public', 'worker', '--release-in', 'mcp'])
  assert.equal(first.code, 0, first.stderr)
  const files = await snapshot(out)
  assert.match(files['fly.worker.toml']!, /^app = 'ace-platform'$/m)
  assert.match(files['fly.beat.toml']!, /^app = 'ace-cron'$/m)
  assert.match(files['fly.mcp.toml']!, /release_command/)
  assert.match(files['flotilla.toml']!, /group = "mcp"\nrelease = true\n/)

  // What `flotilla ci generate` writes: run in the workspace, source relative to it.
  const check = () => runCli(['split', relative(out, ACE), '--out', '.', '--check'], {cwd: out})
  const clean = await check()
  assert.equal(clean.code, 0, clean.stdout + clean.stderr)
  assert.match(clean.stderr, /up to date/)
  await writeFile(join(out, 'fly.api.toml'), files['fly.api.toml']!.replace(/internal_port = (\d+)/, 'internal_port = 1$1'))
  const drift = await check()
  assert.equal(drift.code, 1, drift.stderr)
  assert.match(drift.stderr, /fly\.api\.toml differs/)
  assert.deepEqual(Object.keys(await snapshot(out)), ACE_FILES)
})

test('--dry-run prints the plan and a diff and writes nothing', async (t) => {
  const dir = await tempDir(t)
  const out = join(dir, 'apps')
  const result = await runCli(['split', ACE, '--out', out, '--dry-run'])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stdout, /Would split/)
  assert.match(result.stdout, /^\+\+\+ .*fly\.worker\.toml$/m)
  assert.match(result.stdout, /^\+app = 'ace-platform-worker'$/m)
  assert.deepEqual(await readdir(dir), [])
})

test('--json prints exactly the contract shape', async (t) => {
  const dir = await tempDir(t)
  const result = await runCli(['split', ACE, '--out', dir, '--json', '--name', 'beat=ace-cron', '--release-in', 'worker'])
  assert.equal(result.code, 0, result.stderr)
  const report = JSON.parse(result.stdout) as Record<string, unknown>
  assert.deepEqual(Object.keys(report), ['apps', 'files', 'warnings', 'steps'])
  const apps = report.apps as Record<string, unknown>[]
  for (const app of apps) assert.deepEqual(Object.keys(app), ['name', 'group', 'config', 'public'])
  assert.deepEqual(apps.map((a) => [a.name, a.public]), [['ace-platform', true], ['ace-cron', false], ['ace-platform-mcp', false], ['ace-platform-worker', false]])
  assert.equal((report.files as string[]).length, 5)
  for (const w of report.warnings as Record<string, unknown>[]) assert.ok(typeof w.code === 'string' && typeof w.message === 'string')
  assert.equal((report.steps as string[]).filter((s) => s.startsWith('fly deploy'))[0]?.endsWith('fly.worker.toml'), true)
})

test('bad input exits non-zero with a located message and writes nothing', async (t) => {
  const dir = await tempDir(t)
  const out = join(dir, 'out')
  const broken = join(dir, 'fly.toml')
  await writeFile(broken, 'app = "x"\n[processes]\n  web = "a"\n  worker = \n')
  const source = async (name: string, text: string) => {
    await writeFile(join(dir, name), `app = "x"\n[processes]\n${text}`)
    return join(dir, name)
  }
  const dotted = await source('dotted.toml', '  "web.v2" = "a"\n  worker = "b"\n')
  const empty = await source('empty.toml', '  web = ""\n  worker = "b"\n')
  const typo = await source('typo.toml', '  web = "a"\n  worker = "b"\n[[metrics]]\n  port = 9091\n  processes = ["wroker"]\n')
  const cases: [string[], number, RegExp][] = [
    [[broken, '--out', out], 2, /^flotilla: .*fly\.toml:4:\d+: /m],
    [[dotted, '--out', out], 2, /dotted\.toml:3:3: process group "web\.v2" is not a DNS label/],
    [[empty, '--out', out], 2, /empty\.toml:3:3: group "web" has an empty command and there is no \[experimental\] cmd/],
    [[typo, '--out', out], 2, /typo\.toml:7:3: processes names "wroker", which is not a process group \(known groups: web, worker\)/],
    [[fixture('fly', 'Moodyw03__docecho__fly.toml'), '--out', out], 2, /docecho__fly\.toml:46:1: mounts\[0\].*--allow shared-volume/],
    [[fixture('fly', 'Ganim__OpenSea-API__fly.toml'), '--out', out], 2, /nothing to split/],
    [[ACE, '--out', out, '--public', 'web'], 2, /--public: "web" is not a process group/],
    [[ACE, '--out', out, '--name', 'beat'], 2, /--name expects GROUP=APP/],
    [[ACE, '--out', out, '--name', 'beat=ace-platform'], 2, /groups "api" and "beat" would both become app "ace-platform"/],
    [[ACE, '--out', join(broken, 'sub')], 2, /cannot create the output directory/],
    [[join(dir, 'missing.toml'), '--out', out], 2, /no such file/],
  ]
  for (const [args, code, pattern] of cases) {
    const result = await runCli(['split', ...args])
    assert.equal(result.code, code, `${args.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, pattern)
  }
  assert.deepEqual((await readdir(dir)).sort(), ['dotted.toml', 'empty.toml', 'fly.toml', 'typo.toml'])
  const json = await runCli(['split', fixture('fly', 'Moodyw03__docecho__fly.toml'), '--out', out, '--json'])
  assert.equal(json.code, 2)
  assert.deepEqual(JSON.parse(json.stdout).error.code, 'E_SHARED_VOLUME')
})

test('keys flyctl ignores are left out of the split files, and said so', async (t) => {
  const out = await tempDir(t)
  const result = await runCli(['split', fixture('fly', 'tmm1__flyapp-mastodon@8143191__fly.toml'), '--out', out])
  assert.equal(result.code, 0, result.stderr)
  assert.match(result.stderr, /services\[0\]\.tcp_checks\[0\]\.restart_limit: .*left out of the split files\) \[W_LEGACY_KEY\]/)
  const files = await snapshot(out)
  assert.deepEqual(Object.keys(files), ['flotilla.toml', 'fly.rails.toml', 'fly.sidekiq.toml', 'fly.streaming.toml'])
  for (const text of Object.values(files)) assert.doesNotMatch(text, /restart_limit/)
  assert.match(files['fly.rails.toml']!, /\[\[services\.tcp_checks\]\]\n {4}interval = '15s'/)
})

test('a source named like an output is never overwritten', async (t) => {
  const dir = await tempDir(t)
  const source = join(dir, 'fly.web.toml')
  const text = 'app = "shop"\n[processes]\n  web = "serve"\n  worker = "work"\n'
  await writeFile(source, text)
  const result = await runCli(['split', source, '--force'])
  assert.equal(result.code, 2)
  assert.match(result.stderr, /fly\.web\.toml would be overwritten .* --out DIR/)
  assert.deepEqual(await snapshot(dir), {'fly.web.toml': text})
})

test('one conflicting file stops every write', async (t) => {
  const out = await tempDir(t)
  await writeFile(join(out, 'fly.mcp.toml'), 'app = "mine"\n')
  const result = await runCli(['split', ACE, '--out', out])
  assert.equal(result.code, 2)
  assert.deepEqual(await snapshot(out), {'fly.mcp.toml': 'app = "mine"\n'})
})
