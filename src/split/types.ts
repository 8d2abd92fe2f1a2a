import type {FlyConfig} from '../config/index.js'
import type {WorkspaceLocal} from '../workspace/index.js'

/** What `--allow` can permit. */
export const SPLIT_ALLOWANCES = ['shared-volume'] as const
export type SplitAllowance = (typeof SPLIT_ALLOWANCES)[number]

export interface SplitOptions {
  /** The source config's path as shown to the user, for headers and error locations. */
  file: string
  /** The source config relative to the output directory (POSIX), for flotilla.toml's `source`. */
  source: string
  /** The source config's directory relative to the output directory (POSIX; '' when the same). */
  relocate?: string
  /** The output directory as the user refers to it (POSIX; '' for the current one), for steps. */
  outDisplay?: string
  /** `--name GROUP=APP`. */
  names?: Record<string, string>
  /** `--public GROUP`: the group that keeps the original app name. */
  public?: string
  /** `--release-in GROUP`: the group whose app runs release_command. */
  releaseIn?: string
  allow?: readonly SplitAllowance[]
  /** `[app.local]` tables of an existing flotilla.toml, by app name, kept across re-runs. */
  existingLocal?: Record<string, WorkspaceLocal>
  /** The earlier split's choices (its flotilla.toml): defaults that the three flags above override. */
  recorded?: RecordedChoices
}

/** `--name`, `--public` and `--release-in` as an earlier split of the same source applied them. */
export interface RecordedChoices {
  names: Record<string, string>
  public?: string
  releaseIn?: string
}

/** One app of the result. */
export interface PlannedApp {
  name: string
  group: string
  /** Its config file, relative to the output directory. */
  config: string
  /** Keeps the original app (name, IPs, certificates, volumes, secrets): named like the source's `app`. */
  public: boolean
  /** Runs the release_command. */
  release: boolean
  fly: FlyConfig
  /** What this app received, one short line each, for the report. */
  received: string[]
  /** What the split dropped or rewrote in this app's config, one line each. */
  changes: string[]
}

export interface SplitWarning {
  code: string
  message: string
  /** Key path in the source config the warning is about, e.g. `env.REDIS_URL`. */
  path?: string
}

export interface PlannedFile {
  /** Relative to the output directory. */
  path: string
  content: string
}

export interface SplitPlan {
  originalApp: string | undefined
  apps: PlannedApp[]
  files: PlannedFile[]
  warnings: SplitWarning[]
  /** Shell commands to run, in order, to make the apps real. */
  steps: string[]
}
