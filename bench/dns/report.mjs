// Summarises bench:dns runs: flotilla against dnsmasq measured in the same invocation.
// Usage: node report.mjs runs.jsonl RSS_KB HWM_KB FLOOR_RSS_KB FLOOR_HWM_KB
import {readFileSync} from 'node:fs'

const [file, rssKb, hwmKb, floorKb] = process.argv.slice(2)
const mib = (kb) => (Number(kb) / 1024).toFixed(1)
const runs = readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
const pick = (target, mode) => runs.filter((r) => r.label.startsWith(`${target}/${mode}/`))
const mean = (list, key) => list.reduce((sum, r) => sum + (r[key] ?? 0), 0) / Math.max(1, list.length)
const ratio = (a, b) => (b ? (a / b).toFixed(2) : 'n/a')
const rows = []
for (const mode of ['max', 'paced']) {
  const [ours, base] = [pick('flotilla', mode), pick('dnsmasq', mode)]
  rows.push({
    mode, qps: `${Math.round(mean(ours, 'qps'))} / ${Math.round(mean(base, 'qps'))}`, qpsRatio: ratio(mean(ours, 'qps'), mean(base, 'qps')),
    p50Ratio: ratio(mean(ours, 'p50_us'), mean(base, 'p50_us')), p99Ratio: ratio(mean(ours, 'p99_us'), mean(base, 'p99_us')),
    cpuRatio: ratio(mean(ours, 'server_cpu_us_per_query'), mean(base, 'server_cpu_us_per_query')),
    lost: `${ours.reduce((n, r) => n + (r.lost ?? 0), 0)} / ${base.reduce((n, r) => n + (r.lost ?? 0), 0)}`,
  })
}
console.log('\n| mode | qps flotilla / dnsmasq | qps ratio | p50 ratio | p99 ratio | CPU µs/query ratio | lost flotilla / dnsmasq |')
console.log('|---|---:|---:|---:|---:|---:|---:|')
for (const r of rows) console.log(`| ${r.mode} | ${r.qps} | **${r.qpsRatio}×** | ${r.p50Ratio}× | ${r.p99Ratio}× | ${r.cpuRatio}× | ${r.lost} |`)
console.log('(ratios are flotilla ÷ dnsmasq, mean of the interleaved runs; latency ratios < 1 and qps ratios > 1 favour flotilla)')
const [big] = pick('flotilla-10k', 'max')
console.log(`\n10 000 instances (500 apps × 20): ${big?.qps ?? '?'} qps (${ratio(big?.qps ?? 0, mean(pick('dnsmasq', 'max'), 'qps'))}× dnsmasq's small-zone qps), ` +
  `lost ${big?.lost ?? '?'}, RSS ${mib(rssKb)} MB (peak ${mib(hwmKb)} MB); the same CLI serving the 4-name zone: ${mib(floorKb)} MB, ` +
  `so 10 000 instances cost ${mib(Number(rssKb) - Number(floorKb))} MB`)
// Benchmarks print ratios and the targets they are read against, not verdicts.
console.log('targets (issue 3): qps ≥ 0.8× dnsmasq with 0 lost; RSS ≤ 60 MB while serving 10 000 instances')
