/**
 * The normalised fly.toml model: plain objects with fly.toml's own snake_case keys, after the
 * legacy patches (patches.ts), so `processes` is always a map, `vm` always an array, ports are
 * numbers and durations are Go duration strings ("10s"). Unknown keys are kept (index
 * signatures) so nothing is dropped silently; validation reports them as warnings.
 * Field sets follow flyctl's `internal/appconfig` structs and fly-go's machine types.
 */

/** A Go duration string as fly-go's `Duration` reads it: "10s", "1m30s", "500ms". */
export type Duration = string

/** `[processes]` filter carried by group-aware sections; empty or absent = default group. */
interface GroupFiltered {
  processes?: string[]
}

export interface Concurrency {
  type?: 'connections' | 'requests' | (string & {})
  hard_limit?: number
  soft_limit?: number
  [key: string]: unknown
}

export interface HttpCheck {
  interval?: Duration
  timeout?: Duration
  grace_period?: Duration
  method?: string
  path?: string
  protocol?: string
  tls_skip_verify?: boolean
  tls_server_name?: string
  headers?: Record<string, string>
  [key: string]: unknown
}

export interface TcpCheck {
  interval?: Duration
  timeout?: Duration
  grace_period?: Duration
  [key: string]: unknown
}

export interface MachineCheck {
  command?: string[]
  image?: string
  entrypoint?: string[]
  kill_signal?: string
  kill_timeout?: Duration
  [key: string]: unknown
}

export interface Port {
  port?: number
  start_port?: number
  end_port?: number
  handlers?: string[]
  force_https?: boolean
  tls_options?: Record<string, unknown>
  http_options?: Record<string, unknown>
  proxy_proto_options?: {version?: string}
  [key: string]: unknown
}

/** `auto_stop_machines`: legacy booleans are patched to "stop" / "off". */
export type AutoStop = 'off' | 'stop' | 'suspend' | (string & {})

/** What `[http_service]` and `[[services]]` share (flyctl expands the first into the second). */
interface ServiceCommon extends GroupFiltered {
  internal_port?: number
  auto_stop_machines?: AutoStop
  auto_start_machines?: boolean
  min_machines_running?: number
  concurrency?: Concurrency
  machine_checks?: MachineCheck[]
  [key: string]: unknown
}

export interface HttpService extends ServiceCommon {
  force_https?: boolean
  tls_options?: Record<string, unknown>
  http_options?: Record<string, unknown>
  checks?: HttpCheck[]
}

export interface Service extends ServiceCommon {
  protocol?: 'tcp' | 'udp' | (string & {})
  ports?: Port[]
  tcp_checks?: TcpCheck[]
  http_checks?: HttpCheck[]
}

/** A top-level `[checks.NAME]` Machine check. */
export interface Check extends GroupFiltered, HttpCheck {
  type?: 'http' | 'tcp' | (string & {})
  port?: number
}

export interface Mount extends GroupFiltered {
  source?: string
  destination?: string
  /** GB as a string ("10", "10gb") after patching. */
  initial_size?: string
  snapshot_retention?: number
  scheduled_snapshots?: boolean
  auto_extend_size_threshold?: number
  auto_extend_size_increment?: string
  auto_extend_size_limit?: string
  [key: string]: unknown
}

export interface FileEntry extends GroupFiltered {
  guest_path?: string
  local_path?: string
  secret_name?: string
  raw_value?: string
  [key: string]: unknown
}

export interface Metrics extends GroupFiltered {
  port?: number
  path?: string
  https?: boolean
  [key: string]: unknown
}

export interface Restart extends GroupFiltered {
  policy?: 'always' | 'never' | 'on-failure' | (string & {})
  retries?: number
  [key: string]: unknown
}

/** `[[vm]]` (aliases `[vm]`, `[[compute]]`, `[[computes]]`). */
export interface Vm extends GroupFiltered {
  size?: string
  /** MB as a string ("512", "1gb") after patching. */
  memory?: string
  memory_mb?: number
  cpus?: number
  cpu_kind?: string
  gpus?: number
  gpu_kind?: string
  kernel_args?: string[]
  host_dedication_id?: string
  persist_rootfs?: string
  [key: string]: unknown
}

export interface Static {
  guest_path?: string
  url_prefix?: string
  tigris_bucket?: string
  index_document?: string
  [key: string]: unknown
}

export interface Build {
  builder?: string
  args?: Record<string, string>
  buildpacks?: string[]
  image?: string
  settings?: Record<string, unknown>
  builtin?: string
  dockerfile?: string
  ignorefile?: string
  'build-target'?: string
  compose?: {file?: string}
  compression?: string
  compression_level?: number
  [key: string]: unknown
}

export interface Deploy {
  strategy?: string
  max_unavailable?: number
  wait_timeout?: Duration
  release_command?: string
  release_command_timeout?: Duration
  release_command_vm?: Vm
  seed_command?: string
  [key: string]: unknown
}

export interface Experimental {
  cmd?: string[]
  entrypoint?: string[]
  exec?: string[]
  auto_rollback?: boolean
  enable_consul?: boolean
  enable_etcd?: boolean
  lazy_load_images?: boolean
  attached?: {secrets?: {export?: Record<string, string>}}
  machine_config?: string
  [key: string]: unknown
}

export interface FlyConfig {
  app?: string
  primary_region?: string
  kill_signal?: string
  kill_timeout?: Duration
  swap_size_mb?: number
  console_command?: string
  experimental?: Experimental
  build?: Build
  deploy?: Deploy
  env?: Record<string, string>
  processes?: Record<string, string>
  mounts?: Mount[]
  http_service?: HttpService
  services?: Service[]
  checks?: Record<string, Check>
  files?: FileEntry[]
  host_dedication_id?: string
  machine_config?: string
  container?: string
  machine_checks?: MachineCheck[]
  restart?: Restart[]
  vm?: Vm[]
  statics?: Static[]
  metrics?: Metrics[]
  [key: string]: unknown
}

/** A validation finding, as data; the CLI renders it. */
export interface Diagnostic {
  severity: 'error' | 'warning'
  code: string
  message: string
  file: string
  line?: number
  column?: number
  /** Where in the file, as written: `services[1].internal_port`, `compute.memory`. */
  keyPath?: string
  /** The same place in the normalised config when it differs from keyPath (`vm[0].memory`). */
  configPath?: string
}
