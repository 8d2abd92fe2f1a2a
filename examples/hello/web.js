// The `web` process group: the public page. It asks the api over the private network by name
// (API_URL, a .internal address) and shows the answer.
import {createServer} from 'node:http'

const port = Number(process.env.PORT ?? 8080)
const apiUrl = process.env.API_URL ?? 'http://hello-api.internal:8081'

const escape = (text) => text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`)

createServer(async (req, res) => {
  if (req.url === '/health') return res.end('ok')
  let answer
  try {
    const reply = await fetch(apiUrl, {signal: AbortSignal.timeout(3000)})
    answer = JSON.stringify(await reply.json(), null, 2)
  } catch (error) {
    answer = `could not reach ${apiUrl}: ${error.cause?.message ?? error.message}`
  }
  res.setHeader('content-type', 'text/html; charset=utf-8')
  res.end(`<!doctype html><title>hello</title>
<h1>Hello from ${escape(process.env.FLY_APP_NAME ?? 'web')}</h1>
<p>Machine ${escape(process.env.FLY_MACHINE_ID ?? '?')} in ${escape(process.env.FLY_REGION ?? '?')} asked <code>${escape(apiUrl)}</code> and got:</p>
<pre>${escape(answer)}</pre>
`)
}).listen(port, '::', () => console.log(`web listening on [::]:${port}, calling ${apiUrl}`))

process.on('SIGTERM', () => process.exit(0))
process.on('SIGINT', () => process.exit(0))
