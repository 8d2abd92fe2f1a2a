/**
 * `npm run bench:up`: every figure issues 4 and 5 ask for, from one run, each as a ratio to an
 * anchor measured in the same run (ratios and targets, no verdicts), with the shared harness of
 * ../shared/bench/process-managers/ (method and workloads in ../shared/reference/process-managers.md §5):
 *  1. log throughput, 2 × 200 000 lines through the supervisor (bench/up/driver.ts) vs `cat`, with
 *     peak RSS; and 2 × 2 000 000 lines, which separates the per-line cost from start-up;
 *  2. start of 20 `sleep 600` until all run, and shutdown after Ctrl-C / SIGTERM, for the supervisor
 *     driver and for the whole CLI (`flotilla up --network loopback`), vs foreman;
 *  3. isolated mode (bench/isolated/run.mjs): start of 20 instances vs loopback mode, and HTTP
 *     through a forwarded port vs a direct loopback connection; skipped, with the reason, where
 *     isolated mode is unavailable.
 *
 * Anchors: `cat` (throughput), foreman (apt), concurrently (installed into a cache directory by
 * this script only, never a project dependency); `proto`, the reference's 60-line Node
 * multiplexer, shows what Node itself costs. Needs the build (dist/, `prebench:up`) for the CLI
 * and isolated rows. BENCH_REPS sets the repetitions (default 5); PROCMGR_BENCH points at the
 * shared harness when it is not at ../shared/bench/process-managers. Every harness run has a
 * time limit and SIGKILLs what it started; the whole bench takes about 3 minutes on 2 CPUs.
 */
import {execFileSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {dirname, join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'
import ts from 'typescript'
import {probeIsolated} from '../../src/network/isolated/index.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const cache = join(root, 'node_modules', '.cache', 'flotilla-bench-up')
const reps = Number(process.env.BENCH_REPS ?? 5)

interface Row {
  tool: string
  wall_s?: number
  ready_s?: number | null
  shutdown_s?: number | null
  exit_code?: number
  data_lines?: number
  expected_lines?: number
  sum_ok?: boolean
  orphans?: string[]
  peak_rss_tree_mb: number
  error?: string
}

/** Transpiles the driver and everything it imports (relative imports only) to plain ESM. */
function buildDriver(): string {
  const out = join(cache, 'build')
  const pending = ['bench/up/driver.ts']
  const seen = new Set<string>()
  while (pending.length > 0) {
    const file = pending.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    const source = readFileSync(join(root, file), 'utf8')
    for (const [, spec] of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) pending.push(relative(root, join(root, dirname(file), `${spec}.ts`)))
    const {outputText} = ts.transpileModule(source, {compilerOptions: {module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022}})
    mkdirSync(dirname(join(out, file)), {recursive: true})
    writeFileSync(join(out, file.replace(/\.ts$/, '.js')), outputText)
  }
  writeFileSync(join(out, 'package.json'), '{"type": "module"}\n')
  return join(out, 'bench/up/driver.js')
}

/** concurrently 9.2.5 (the last for Node 20), into the cache; undefined if npm cannot get it. */
function installConcurrently(): string | undefined {
  const dir = join(cache, 'anchors')
  const bin = join(dir, 'node_modules', '.bin')
  if (existsSync(join(bin, 'concurrently'))) return bin
  mkdirSync(dir, {recursive: true})
  try {
    execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--prefix', dir, 'concurrently@9.2.5'], {stdio: 'ignore'})
    return bin
  } catch {
    return undefined
  }
}

function harness(tool: string, args: string[], env: NodeJS.ProcessEnv): Row[] {
  const output = execFileSync('python3', [join(root, 'bench/up/harness.py'), tool, ...args], {env, encoding: 'utf8', maxBuffer: 1 << 26})
  return output.trim().split('\n').map((line) => JSON.parse(line) as Row)
}

/**
 * Runs each tool `reps` times, one run of each tool in turn, so that load from anything else on
 * the machine weighs on every tool alike rather than on whichever ran while it peaked.
 */
function interleaved(tools: string[], args: string[], count: number): Map<string, Row[]> {
  const rows = new Map(tools.map((tool) => [tool, [] as Row[]]))
  for (let rep = 0; rep < count; rep++) for (const tool of tools) rows.get(tool)!.push(...harness(tool, [...args, '--reps', '1'], env))
  return rows
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}
const secs = (value: number) => `${value.toFixed(3)} s`
const times = (value: number, anchor: number) => `${(value / anchor).toFixed(2)}×`
const pad = (cells: string[], widths: number[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')

const driver = buildDriver()
const concurrently = installConcurrently()
const env = {...process.env, FLOTILLA_DRIVER: driver, BENCH_WORK: join(cache, 'work'), ...(concurrently ? {NODE_BIN: concurrently} : {})}
const anchors = ['proto', 'foreman', ...(concurrently ? ['concurrently'] : [])]
// foreman deadlocks in ~15 % of throughput runs (reference §5.4); a normal run takes ~5 s, and a
// hung one costs the timeout + 5 s, which keeps the whole bench within 5 minutes.
const timeout = ['--timeout', '12']
const built = existsSync(join(root, 'dist', 'commands', 'up.js'))

console.log(`flotilla up benchmark: Node ${process.version}, ${availableParallelism()} CPUs, median of ${reps} runs; ratios to anchors measured in this run`)
if (!concurrently) console.log('(concurrently could not be installed: that anchor is skipped)')
if (!built) console.log('(no build in dist/: the whole-CLI and isolated rows are skipped; run `npx tsc -p tsconfig.build.json` or `npm run bench:up`)')

// 1. Throughput: 2 × `seq 1 N`, output to /dev/null, wall time until the manager exits.
const throughput = interleaved(['cat', 'flotilla', ...anchors], ['exit', ...timeout], reps)
const wallOf = (rows: Row[]) => median(rows.filter((r) => !r.error).map((r) => r.wall_s!))
const wall = (tool: string) => wallOf(throughput.get(tool)!)
const rss = (rows: Row[]) => Math.max(...rows.map((r) => r.peak_rss_tree_mb))
console.log('\nLog throughput, 2 × 200 000 lines (target: ≤ 2× cat, RSS ≤ 80 MB); flotilla = the supervisor (bench/up/driver.ts)')
const w1 = [14, 10, 10, 10, 12]
console.log(pad(['tool', 'wall', '÷ cat', 'flotilla ÷', 'peak RSS'], w1))
for (const [tool, rows] of throughput) {
  const failures = rows.filter((r) => r.error).length
  console.log(pad([tool, secs(wall(tool)), times(wall(tool), wall('cat')), times(wall('flotilla'), wall(tool)),
    `${rss(rows).toFixed(1)} MB`], w1) + (failures ? `  (${failures} of ${rows.length} runs hung)` : ''))
}
const [checked] = harness('flotilla', ['exit', '--count', '--reps', '1', ...timeout], env)
console.log(`line integrity (output to a file, every line verified): ${checked!.data_lines} of ${checked!.expected_lines}, checksum ${checked!.sum_ok ? 'ok' : 'WRONG'}`)

// 1b. Steady state: ten times the lines. The 2 × 200 000 run is mostly Node's start-up; the
// difference between the two runs is the cost of 3 600 000 lines alone.
const big = interleaved(['cat', 'flotilla', 'proto'], ['exit', '--lines', '2000000', ...timeout], Math.max(2, Math.ceil(reps / 2)))
const [catBig, oursBig, protoBig] = [wallOf(big.get('cat')!), wallOf(big.get('flotilla')!), wallOf(big.get('proto')!)]
const perLine = (oursBig - wall('flotilla')) / (catBig - wall('cat'))
console.log(`\nSteady state, 2 × 2 000 000 lines (separates per-line cost from start-up): cat ${secs(catBig)}, flotilla ${secs(oursBig)}, ` +
  `${times(oursBig, catBig)} cat (proto ${times(protoBig, catBig)}), peak RSS ${rss(big.get('flotilla')!).toFixed(1)} MB`)
console.log(`  per-line cost alone (the 3 600 000 extra lines): ${perLine.toFixed(2)}× cat's; ` +
  `fixed start-up ≈ ${secs(wall('flotilla') - (oursBig - wall('flotilla')) / 9)} (cat ${secs(wall('cat') - (catBig - wall('cat')) / 9)})`)

// 2. Start of 20 `sleep 600`, then Ctrl-C (SIGINT to the manager's group) and `kill PID`; the
// supervisor alone, and the whole CLI as a user runs it (Node + oclif + plan + DNS + socket).
const starters = ['flotilla', ...(built ? ['flotilla-up'] : []), ...anchors]
console.log('\nStart of 20 processes, then shutdown (targets: running ≤ 0.3 s; stop ≤ 0.2 s beyond kill_timeout; 0 orphans)')
console.log('flotilla = the supervisor driver; flotilla-up = the whole CLI, `flotilla up --network loopback`')
const w2 = [14, 12, 10, 14, 10, 14, 10]
console.log(pad(['tool', 'all running', 'flotilla ÷', 'Ctrl-C → exit', 'orphans', 'SIGTERM → exit', 'orphans'], w2))
const started = new Map<string, {ready: number; ctrlc: number; term: number; orphans: [number, number]}>()
const byCtrlC = interleaved(starters, ['start', '--stop', 'ctrlc', ...timeout], reps)
const byTerm = interleaved(starters, ['start', '--stop', 'term', ...timeout], Math.max(1, Math.floor(reps / 2)))
const orphans = (rows: Row[]) => Math.max(...rows.map((r) => r.orphans?.length ?? 0))
for (const tool of starters) {
  const [ctrlc, term] = [byCtrlC.get(tool)!, byTerm.get(tool)!]
  started.set(tool, {ready: median([...ctrlc, ...term].map((r) => r.ready_s ?? Number.NaN)),
    ctrlc: median(ctrlc.map((r) => r.shutdown_s ?? Number.NaN)), term: median(term.map((r) => r.shutdown_s ?? Number.NaN)),
    orphans: [orphans(ctrlc), orphans(term)]})
}
const ours = started.get('flotilla')!
for (const [tool, s] of started) {
  console.log(pad([tool, secs(s.ready), times(ours.ready, s.ready), secs(s.ctrlc), String(s.orphans[0]), secs(s.term), String(s.orphans[1])], w2))
}
const foreman = started.get('foreman')!
for (const tool of starters.filter((t) => t.startsWith('flotilla'))) {
  const s = started.get(tool)!
  console.log(`${tool} ÷ foreman: start ${times(s.ready, foreman.ready)}, Ctrl-C → exit ${times(s.ctrlc, foreman.ctrlc)}, SIGTERM → exit ${times(s.term, foreman.term)}`)
}

// 3. Drain: output that never ends (seq, then a grandchild sleep); shutdown with output in flight.
const drain = harness('flotilla', ['drain', '--stop', 'term', '--reps', '1', ...timeout], env)[0]!
console.log(`\nDrain of 2 × 200 000 lines from processes that keep running: ${secs(drain.ready_s ?? Number.NaN)}; ` +
  `SIGTERM → exit ${secs(drain.shutdown_s ?? Number.NaN)}, orphans ${drain.orphans?.length ?? '?'}`)

// 4. Isolated mode (issue 5), measured by bench/isolated/run.mjs against loopback in the same run.
console.log('\nIsolated mode (issue 5)')
const probe = await probeIsolated()
if (!probe.available) console.log(`skipped: isolated mode is unavailable here (${probe.reason})`)
else if (!built) console.log('skipped: needs the build in dist/')
else {
  process.env.BENCH_ROUNDS ??= String(reps)
  const {benchIsolated} = await import('../isolated/run.mjs') as {benchIsolated(log?: (line: string) => void): Promise<void>}
  await benchIsolated((line) => console.log(line.replace(/^isolated: /, '')))
}
