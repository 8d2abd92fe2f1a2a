import assert from 'node:assert/strict'
import {readFile, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {test} from 'node:test'
import {commandListener, ipv4ListenerProblem} from '../../src/importers/listener.js'
import {importProcfile, writeImport} from '../../src/importers/index.js'
import {fixture, tempDir} from '../helpers/repo.js'

test('the port and host a web command listens on, from the words sh passes it', () => {
  const cases: [string, number | '$PORT' | undefined, string | undefined][] = [
    ['gunicorn --bind :5000 --workers 5 app.wsgi', 5000, ''],
    ['exec daphne -b 0.0.0.0 -p $PORT app.asgi:application', '$PORT', '0.0.0.0'],
    ['waitress-serve --port=$PORT app.wsgi:application', '$PORT', undefined],
    ['cd src && gunicorn asgi:application -b :"${PORT}" --max-requests 1024', '$PORT', ''],
    ['bin/rails server -p 3000', 3000, undefined],
    ['python manage.py runserver 0.0.0.0:8000 --noreload', 8000, '0.0.0.0'],
    ['PORT=3000 node server.js', 3000, undefined],
    ['env PORT=4000 node server.js', 4000, undefined],
    ["uvicorn app:app --host '[::]' --port 9000", 9000, '::'],
    ['puma -b tcp://127.0.0.1:9292', 9292, '127.0.0.1'],
    ['mkdir -p /tmp/x && bundle exec puma -C config/puma.rb', undefined, undefined],
    ['gunicorn -b unix:/tmp/app.sock app', undefined, undefined],
    ['node x --port ${PORT:-3000}', undefined, undefined], // a default: not known without the environment
    ['node x --port $OTHER', undefined, undefined],
  ]
  for (const [command, port, host] of cases) {
    const listener = commandListener(command)
    assert.equal(listener.port, port, command)
    assert.equal(listener.host, host, command)
  }
  assert.equal(commandListener('gunicorn --bind :5000 app').portFrom, '--bind :5000')
  assert.match(ipv4ListenerProblem(commandListener('gunicorn --bind :5000 app'))!, /0\.0\.0\.0, IPv4 only \(--bind :5000\)/)
  assert.match(ipv4ListenerProblem(commandListener('rails s -b localhost'))!, /loopback only/)
  assert.equal(ipv4ListenerProblem(commandListener('gunicorn --bind [::]:5000 app')), undefined)
})

test('import procfile: [http_service] internal_port is the port web binds, and says where it came from', async () => {
  const file = fixture('procfile', 'brianjp93__lolsite__Procfile')
  const plan = importProcfile(await readFile(file, 'utf8'), file)
  assert.equal(plan.groups.find((g) => g.http)?.port, 5000)
  assert.ok(plan.mappings.some((m) => m.from === '--bind :5000' && m.to === '[http_service] internal_port = 5000'))
  assert.ok(plan.diagnostics.some((d) => d.code === 'W_IPV4_LISTENER' && d.line === 1))
  assert.equal(plan.env.PORT, undefined)
  const unknown = importProcfile('web: bundle exec puma -C config/puma.rb\n', 'Procfile')
  assert.equal(unknown.groups[0]!.port, undefined)
  assert.equal(unknown.env.PORT, '8080')
  assert.ok(unknown.diagnostics.some((d) => d.code === 'W_HTTP_PORT'))
})

test('import procfile --to apps: an IPv4 listener is warned about once, at its Procfile line', async (t) => {
  const dir = await tempDir(t)
  const procfile = join(dir, 'Procfile')
  await writeFile(procfile, 'web: daphne app.asgi:application --port $PORT --bind 0.0.0.0\nworker: celery -A app worker\n')
  const plan = importProcfile(await readFile(procfile, 'utf8'), procfile)
  const report = await writeImport(plan, {to: 'apps', config: join(dir, 'fly.toml'), app: 'game', force: false, invocation: 'x'})
  const listeners = report.warnings.filter((w) => w.code === 'W_IPV4_LISTENER')
  assert.equal(listeners.length, 1, JSON.stringify(listeners))
  assert.equal(listeners[0]!.line, 1)
})
