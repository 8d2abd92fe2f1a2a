/** One app of the set: a Fly app, the config that deploys it and how `up` runs it locally. */
export interface WorkspaceApp {
  /** Fly app name; equals `app` in its config. */
  name: string
  /** Path of its fly.toml, relative to the workspace directory. */
  config: string
  /** Process group it came from (kept as FLY_PROCESS_GROUP). */
  group: string
  /** Runs the source's release_command (written by split, which reuses it on re-runs). */
  release?: boolean
  local?: WorkspaceLocal
}

/** Local overrides for `flotilla up`. */
export interface WorkspaceLocal {
  command?: string
  cwd?: string
  /** Instances to run locally (0 = do not start). */
  count?: number
  /** Secrets for local runs; never written by flotilla. */
  env_file?: string
}

/** A parsed `flotilla.toml` (architecture.md "The workspace file"). */
export interface Workspace {
  /** Absolute path of flotilla.toml. */
  file: string
  dir: string
  /** The multi-group config this set came from, relative to `dir`. */
  source?: string
  apps: WorkspaceApp[]
}
