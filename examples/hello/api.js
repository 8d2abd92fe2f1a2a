// The `api` process group: a private service, reached only over .internal (no [http_service]).
// It binds [::] as Fly's private network (6PN) requires; IPv4-only listeners are unreachable there.
import {createServer} from 'node:http'

const port = Number(process.env.PORT ?? 8081)

createServer((req, res) => {
  if (req.url === '/health') return res.end('ok')
  res.setHeader('content-type', 'application/json')
  res.end(JSON.stringify({
    message: 'hello from the api',
    app: process.env.FLY_APP_NAME,
    machine: process.env.FLY_MACHINE_ID,
    region: process.env.FLY_REGION,
    privateIp: process.env.FLY_PRIVATE_IP,
  }))
}).listen(port, '::', () => console.log(`api listening on [::]:${port}`))

process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
