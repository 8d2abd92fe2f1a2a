// Cold start of `flotilla --version`, as a ratio to `node -e 0` measured in the same run.
// Run through `npm run bench` (which builds first). BENCH_RUNS sets the sample count.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export const repoRoot = fileURLToPath(new URL('..', import.meta.url))
export const flotilla = [process.execPath, fileURLToPath(new URL('../bin/run.js', import.meta.url))]
const anchor = [process.execPath, '-e', '0']
const runs = Number(process.env.BENCH_RUNS ?? 20)

function timeOnce([command, ...args]) {
  const start = process.hrtime.bigint()
  const result = spawnSync(command, args, {stdio: 'ignore', env: {...process.env, NO_COLOR: '1'}})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${[command, ...args].join(' ')} exited ${result.status}`)
  return ms
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Runs `argv` and the `node -e 0` anchor alternately (so drift in machine load hits both
 * equally) after one warm-up each, and prints both medians and their ratio.
 */
export function compareToNode(label, argv) {
  timeOnce(anchor)
  timeOnce(argv)
  const anchorTimes = []
  const times = []
  for (let i = 0; i < runs; i++) {
    anchorTimes.push(timeOnce(anchor))
    times.push(timeOnce(argv))
  }
  const [a, b] = [median(anchorTimes), median(times)]
  console.log(`${label.padEnd(34)} ${b.toFixed(1).padStart(7)} ms   node -e 0 ${a.toFixed(1).padStart(6)} ms   ratio ${(b / a).toFixed(2)}x   (median of ${runs})`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) compareToNode('flotilla --version', [...flotilla, '--version'])
