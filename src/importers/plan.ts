import type {ImportDiagnostic} from './diagnostics.js'
import {groupLabel} from './command.js'

/** Where an imported thing came from: `Procfile:3`, `supervisord.conf:12 [program:web]`. */
export interface Origin {
  file: string
  line?: number
  /** The name the source used (`web`, `program:web`, `line 7`). */
  name: string
}

export interface RestartPolicy {
  policy: 'always' | 'on-failure' | 'never'
  retries?: number
}

/** One process group to be: a `[processes]` entry, or one app of a split workspace. */
export interface ImportedGroup {
  /** DNS-label group name. */
  name: string
  origin: Origin
  /** `[processes]` command (google/shlex syntax, as flyctl reads it). */
  command: string
  /** Variables only this group sees: `[env]` of its app with --to apps, `env K=V` otherwise. */
  env?: Record<string, string>
  /** Serves HTTP: gets `[http_service]`. */
  http?: boolean
  /** The port it listens on, the `[http_service]` internal_port (default 8080, exported as PORT). */
  port?: number
  /** Instances (supervisord numprocs). */
  count?: number
  /** false: defined but not started (supervisord autostart=false). */
  autostart?: boolean
  restart?: RestartPolicy
  /** Fly names: SIGTERM, SIGQUIT… */
  killSignal?: string
  /** Seconds. */
  killTimeout?: number
}

/** A line of "what mapped where". */
export interface Mapping {
  from: string
  to: string
  file: string
  line?: number
}

/** Everything an importer understood, before anything is written. */
export interface ImportPlan {
  kind: 'procfile' | 'supervisord' | 'script'
  file: string
  groups: ImportedGroup[]
  /** App-wide `[env]`. */
  env: Record<string, string>
  releaseCommand?: string
  mappings: Mapping[]
  diagnostics: ImportDiagnostic[]
}

/** Collects groups and problems, naming groups as DNS labels and refusing two that collide. */
export class PlanBuilder {
  readonly plan: ImportPlan
  private readonly byLabel = new Map<string, Origin>()

  constructor(kind: ImportPlan['kind'], file: string) {
    this.plan = {kind, file, groups: [], env: {}, mappings: [], diagnostics: []}
  }

  warn(code: string, message: string, at: {file?: string; line?: number | undefined} = {}): void {
    this.plan.diagnostics.push({severity: 'warning', code, message, file: at.file ?? this.plan.file,
      ...(at.line === undefined ? {} : {line: at.line})})
  }

  error(code: string, message: string, at: {file?: string; line?: number | undefined} = {}): void {
    this.plan.diagnostics.push({severity: 'error', code, message, file: at.file ?? this.plan.file,
      ...(at.line === undefined ? {} : {line: at.line})})
  }

  map(from: string, to: string, origin: {file: string; line?: number | undefined}): void {
    this.plan.mappings.push({from, to, file: origin.file, ...(origin.line === undefined ? {} : {line: origin.line})})
  }

  /** The label for `origin.name`, or undefined (with an error recorded) when unusable. */
  label(origin: Origin): string | undefined {
    const label = groupLabel(origin.name)
    const at = {file: origin.file, line: origin.line}
    if (label === '') {
      this.error('E_GROUP_NAME', `"${origin.name}" has no letter or digit to make a group name from`, at)
      return undefined
    }
    const other = this.byLabel.get(label)
    if (other) {
      this.error('E_GROUP_COLLISION', `"${origin.name}" and "${other.name}" (${other.file}${other.line ? `:${other.line}` : ''}) both become group "${label}"`, at)
      return undefined
    }
    if (label !== origin.name) this.warn('W_GROUP_RENAMED', `"${origin.name}" becomes group "${label}" (group names end up in DNS names: lower-case letters, digits and "-")`, at)
    this.byLabel.set(label, origin)
    return label
  }

  add(group: ImportedGroup): void {
    this.plan.groups.push(group)
    this.map(group.origin.name, `[processes] ${group.name}`, group.origin)
  }
}
