import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {describe, it} from 'node:test'
import {loadFlyConfig, processGroups, serialiseFlyConfig} from '../../src/config/index.js'
import {LocatedError} from '../../src/errors.js'
import {fixture} from '../helpers/repo.js'

/**
 * The real outcome of every shared fly.toml fixture: its process groups and each diagnostic as
 * `LINE:COL SEVERITY CODE KEYPATH`, or the located syntax error it fails with. Reviewed by hand
 * against the files (legacy Nomad keys, misspellings, unfiltered services in multi-group apps).
 */
const outcomes: [file: string, groups: string[] | string, diagnostics?: string[]][] = [
  ['Alschn__Beerdegu__fly.toml', ['app', 'worker'], ['29:3 W W_LEGACY_KEY services[0].script_checks', '47:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['Carbonable__carbonable-indexer-rs__fly.staging.toml', ['api', 'event_store', 'indexer'], ['26:1 W W_UNKNOWN_KEY services[0].auto_machine_start', '27:1 W W_UNKNOWN_KEY services[0].auto_machine_stop', '28:1 W W_UNKNOWN_KEY services[0].min_machine_running', '47:1 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['Dangercoder__value-pulse__fly.toml', ['app', 'solidq'], []],
  ['DannyMac180__ace-platform__fly.toml', ['api', 'beat', 'mcp', 'worker'], ['26:3 W W_UNKNOWN_KEY build.target']],
  ['Finanzasparahippies__gvhc__fly.toml', ['beat', 'celery'], ['31:1 W W_DEFAULT_GROUP_ONLY mounts']],
  ['Ganim__OpenSea-API__fly.toml', ['app'], []],
  ['GrottoPress__penny__fly.toml', ['app', 'worker'], []],
  ['Jgorzitza__HotDash__deploy__chatwoot__fly.toml', ['web', 'worker'], []],
  ['Jgorzitza__HotDash__fly__hotdash-llm-gateway__fly.toml', ['gateway', 'ui', 'worker'], []],
  ['LutrisEng__fleetbox-cloud__fly.toml', ['goodjob', 'web'], ['20:3 W W_LEGACY_KEY experimental.allowed_public_ports', '28:3 W W_LEGACY_KEY services[0].script_checks', '46:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['Moodyw03__docecho__fly.toml', ['web', 'worker'], ['29:3 W W_RESERVED_ENV env.FLY_APP_NAME']],
  ['NEAR-DevHub__race-of-sloths__fly.toml', ['bot', 'server'], []],
  ['Nakoliss__app-idea-hunter__fly.toml', ['app'], ['36:1 W W_UNKNOWN_KEY cron']],
  ['SpokaneTech__SpokaneTech_Py__fly.toml', ['app', 'worker'], []],
  ['Ubeydu__akluma-your-smart-piggy-bank__fly.production.toml', ['app', 'cron', 'worker'], ['32:3 W W_UNKNOWN_KEY http_service.redirects']],
  ['Ubeydu__akluma-your-smart-piggy-bank__fly.staging.toml', ['app', 'cron', 'worker'], []],
  ['abenkert__kuralis__fly.toml', ['app', 'worker'], ['13:3 W W_UNKNOWN_KEY services[0].force_https']],
  ['audiodude__rainfall__fly.toml', ['app', 'worker'], []],
  ['bdunk881__paperclipai__fly.api.dev.toml', ['app', 'worker'], ['69:1 W W_DEFAULT_GROUP_ONLY restart[0]']],
  ['bikebrigade__dispatch__fly.toml', ['app'], ['42:1 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['brianjp93__lolsite@c968ab7__fly.toml', 'E_TOML_SYNTAX 9:2'],
  ['brianjp93__lolsite__fly.toml', ['beat', 'web', 'worker'], ['49:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['commonknowledge__leftbookclub__fly.toml', ['cron', 'web'], ['45:3 W W_UNKNOWN_KEY statics[0].processes']],
  ['cosmik-network__semble__fly.production.toml', ['feed-worker', 'firehose-worker', 'notification-worker', 'search-worker', 'sync-worker', 'web'], ['20:3 W W_UNKNOWN_KEY http_service.max_machines_running']],
  ['djangocon__djangoconus-automation__fly.toml', ['app', 'worker'], ['33:3 W W_LEGACY_KEY services[0].script_checks', '51:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['emezac__vibevoyage__fly.toml', ['web', 'worker'], ['13:1 E E_SERVICE_PROCESSES services[0]']],
  ['emezac__vibevoyage__vibevoyage__fly.toml', ['app', 'web', 'worker'], []],
  ['emperarecords-bit__king-ai-ops-hub__fly.toml', ['web', 'worker'], []],
  ['fly-apps__dockerfile-rails__test__results__sidekiq__fly.toml', ['app', 'sidekiq'], []],
  ['fly-apps__fly-autoscaler-temporal-example__fly.scaler.toml', ['app'], []],
  ['fly-apps__rails-machine-workers__fly.toml', ['app'], ['22:3 W W_LEGACY_KEY experimental.allowed_public_ports', '30:3 W W_LEGACY_KEY services[0].script_checks', '48:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['fly-apps__rails-nix__fly.toml', ['app'], ['26:3 W W_LEGACY_KEY services[0].script_checks', '45:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['gitcoinco__grants-stack-indexer__fly.maci.toml', ['indexer', 'web'], []],
  ['gitcoinco__grants-stack-indexer__fly.toml', ['indexer', 'web'], ['44:3 W W_LEGACY_KEY services[0].script_checks', '63:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit', '70:3 W W_LEGACY_KEY services[1].script_checks', '89:5 W W_LEGACY_KEY services[1].tcp_checks[0].restart_limit']],
  ['hifiwi-fi__breadcrum.net__packages__worker__fly.toml', ['app'], []],
  ['jkoestner__folioflex__fly.toml', ['web', 'worker'], ['46:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['jsreddy3__backend-dream__fly.toml', ['web', 'worker'], []],
  ['justenriquez19__questly-assistant__fly.toml', ['web', 'worker'], ['27:1 W W_DEFAULT_GROUP_ONLY mounts']],
  ['kmcphillips__twilio-rails-example__fly.toml', ['app', 'sidekiq'], []],
  ['larryhudson__aiderbot__fly.toml', ['app', 'worker'], []],
  ['licarth__timetriggers__website__fly.toml', ['app'], ['16:3 W W_LEGACY_KEY experimental.allowed_public_ports', '27:3 W W_LEGACY_KEY services[0].script_checks', '55:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['louiza-labs__hermes-data-service__fly.toml', ['app', 'cron'], ['29:1 W W_UNKNOWN_KEY jobs']],
  ['mattyray__mff-v2__backend__fly.toml', ['app', 'celery'], []],
  ['mendableai__firecrawl__apps__api__fly.toml', ['app', 'worker'], []],
  ['mendableai__firecrawl__apps__redis__fly.toml', ['app'], ['8:1 W W_SERVICE_PORTS services[0]']],
  ['plastic-labs__honcho__api__fly.toml', ['api', 'deriver'], []],
  ['plastic-labs__honcho__fly.toml', ['api', 'deriver'], []],
  ['rubys__showcase__fly__applications__logger__fly.toml', ['app'], []],
  ['superfly__flyctl__internal__appconfig__testdata__always-invalid-v2.toml', ['app'], ['3:1 W W_BUILD_STRATEGIES build', '20:1 W W_SERVICE_PORTS services[0]', '24:17 E E_TYPE services[0].concurrency']],
  ['superfly__flyctl__internal__appconfig__testdata__env-list.toml', ['app'], []],
  ['superfly__flyctl__internal__appconfig__testdata__format-quirks.toml', ['app'], []],
  ['superfly__flyctl__internal__appconfig__testdata__full-reference.toml', ['task', 'web'], ['17:1 W W_BUILD_STRATEGIES build', '40:14 E E_DEPLOY_STRATEGY deploy.strategy', '52:1 W W_DEFAULT_GROUP_ONLY metrics[0]', '61:1 E E_SERVICE_PROCESSES http_service', '69:16 W W_CHECK_DURATION http_service.checks[0].interval', '126:1 W W_DEFAULT_GROUP_ONLY mounts[0]', '155:1 W W_DEFAULT_GROUP_ONLY checks.status', '180:16 E E_UNKNOWN_GROUP services[0].processes[0]', '206:16 W W_CHECK_DURATION services[0].http_checks[0].interval']],
  ['superfly__flyctl__internal__appconfig__testdata__old-format.toml', ['app'], []],
  ['superfly__flyctl__internal__appconfig__testdata__old-processes.toml', ['web', 'worker'], []],
  ['superfly__flyctl__internal__appconfig__testdata__processes-multiwithapp.toml', ['aaa', 'abc', 'app', 'ass', 'bbb'], []],
  ['superfly__flyctl__internal__appconfig__testdata__tomachine-processgroups.toml', ['app', 'foo', 'vpn'], ['13:1 W W_SERVICE_PORTS services[0]', '18:1 W W_SERVICE_PORTS services[1]']],
  ['superfly__flyctl__internal__appconfig__testdata__validate-groups.toml', ['app', 'foo', 'vpn'], []],
  ['tailscale__ToBeReviewedBot__fly.toml', ['app'], ['25:3 W W_LEGACY_KEY experimental.allowed_public_ports', '37:3 W W_LEGACY_KEY services[0].script_checks', '55:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit']],
  ['tmm1__flyapp-mastodon@8143191__fly.toml', ['rails', 'sidekiq', 'streaming'], ['72:5 W W_LEGACY_KEY services[0].tcp_checks[0].restart_limit', '79:5 W W_LEGACY_KEY services[0].http_checks[0].restart_limit', '95:5 W W_LEGACY_KEY services[1].http_checks[0].restart_limit']],
  ['tmm1__flyapp-mastodon__fly.toml', ['app'], ['84:5 W W_UNKNOWN_KEY services[0].tcp_checks[0].tls_skip_verify']],
  ['tryethernal__ethernal__fly.postgres.toml', ['app'], []],
  ['tryethernal__ethernal__fly.toml', ['api', 'hworker', 'lpworker', 'mworker', 'phworker'], ['49:5 W W_LEGACY_KEY services[0].http_checks[0].restart_limit']],
  ['ujh__fountainpencompanion__fly.toml', ['web', 'worker'], []],
  ['yjl9903__AnimeGarden__apps__server__fly.server.toml', ['cron', 'server'], ['37:12 W W_CHECK_DURATION http_service.checks[0].interval', '41:1 W W_UNKNOWN_KEY http_service.checks[0].processes']],
  ['youssefkamel2__brainmate__fly.toml', ['app', 'worker'], ['38:1 W W_SERVICE_PORTS services[0]']],
]

describe('every real fly.toml fixture loads with its groups, or fails with a located message', () => {
  it('the table covers every fixture', () => {
    assert.deepEqual(outcomes.map(([file]) => file), readdirSync(fixture('fly')).sort())
  })
  for (const [file, groups, expected] of outcomes) {
    it(file, () => {
      const bytes = readFileSync(fixture('fly', file))
      if (typeof groups === 'string') {
        assert.throws(() => loadFlyConfig(bytes, file), (error: unknown) => {
          assert.ok(error instanceof LocatedError)
          assert.equal(`${error.code} ${error.location.line}:${error.location.column}`, groups)
          assert.match(error.message, new RegExp(`^${file.replace(/[.$]/g, '\\$&')}:\\d+:\\d+: \\S`))
          return true
        })
        return
      }
      const {config, diagnostics} = loadFlyConfig(bytes, file)
      assert.deepEqual(processGroups(config), groups)
      const rendered = diagnostics.map((d) => `${d.line}:${d.column} ${d.severity === 'error' ? 'E' : 'W'} ${d.code} ${d.keyPath}`)
      assert.deepEqual(rendered, expected)
      for (const d of diagnostics) assert.equal(d.file, file)
    })
  }
})

describe('serialiseFlyConfig', () => {
  for (const [file, groups] of outcomes) {
    if (typeof groups === 'string') continue
    it(`round-trips ${file}`, () => {
      const {config} = loadFlyConfig(readFileSync(fixture('fly', file)), file)
      const text = serialiseFlyConfig(config, 'written by the round-trip test')
      assert.ok(text.startsWith('# written by the round-trip test\n'))
      const back = loadFlyConfig(text, 'out.toml')
      assert.deepEqual(back.config, config)
      assert.equal(serialiseFlyConfig(back.config, 'written by the round-trip test'), text, 'stable output')
    })
  }
})
