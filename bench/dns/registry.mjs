// Registry files for the DNS benchmark. `same`: the zone of records.json as flotilla sees it
// (web, worker, api started with fd00::2-4; db has a stopped instance only, so AAAA is NODATA
// as for dnsmasq's A-only db). `big APPS PER_APP`: APPS × PER_APP started instances, plus the
// dnsperf query file that walks their names.
// Usage: node registry.mjs same OUT.json | node registry.mjs big 500 20 OUT.json QUERIES.txt
import {writeFileSync} from 'node:fs'

const [mode, ...args] = process.argv.slice(2)
const hex = (n, width) => n.toString(16).padStart(width, '0')
if (mode === 'same') {
  const app = (name, n, state = 'started') => ({name, instances: [{id: hex(n, 14), group: 'app', region: 'ams', ip: `fd00::${n}`, state}]})
  writeFileSync(args[0], JSON.stringify({apps: [app('web', 2), app('worker', 3), app('api', 4), app('db', 5, 'stopped')]}))
} else {
  const [apps, perApp, out, queries] = [Number(args[0]), Number(args[1]), args[2], args[3]]
  const file = {apps: []}
  const lines = []
  for (let a = 0; a < apps; a++) {
    const name = `app-${a}`
    const instances = []
    for (let i = 0; i < perApp; i++) {
      const id = hex(a * perApp + i, 14)
      instances.push({id, group: i % 2 ? 'worker' : 'web', region: ['ams', 'sea', 'ord'][i % 3], ip: `fdaa:0:1:a7b:${hex(a, 1)}::${hex(i + 2, 1)}`, state: 'started', metadata: {}})
      lines.push(`${id}.vm.${name}.internal AAAA`)
    }
    lines.push(`${name}.internal AAAA`, `web.process.${name}.internal AAAA`, `vms.${name}.internal TXT`, `top2.nearest.of.${name}.internal AAAA`)
    file.apps.push({name, instances})
  }
  writeFileSync(out, JSON.stringify(file))
  writeFileSync(queries, lines.join('\n') + '\n')
}
