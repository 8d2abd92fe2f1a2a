/**
 * `<workspace>/.flotilla/registry.json`: the running session's `.internal` registry on disk, in
 * the format `flotilla dns serve --registry` reads, rewritten on every change. Writes are atomic
 * (temp file + rename) and never overlap; once closed nothing more is written and the file is gone.
 */
import {rename, rm, writeFile} from 'node:fs/promises'
import type {Registry} from '../network/index.js'

export class RegistryFile {
  #saving = false
  #dirty = false
  #closed = false
  readonly #onChange = () => void this.#save()

  constructor(private readonly registry: Registry, readonly file: string) {
    registry.on('change', this.#onChange)
  }

  async #save(): Promise<void> {
    if (this.#saving) return void (this.#dirty = true)
    this.#saving = true
    do {
      this.#dirty = false
      const temp = `${this.file}.${process.pid}.tmp`
      await writeFile(temp, JSON.stringify(this.registry.toJSON(), null, 2) + '\n', {mode: 0o600})
        .then(() => (this.#closed ? rm(temp) : rename(temp, this.file)))
        .catch(() => undefined) // the directory may be going away with the session
    } while (this.#dirty && !this.#closed)
    this.#saving = false
  }

  /** Stops following the registry and removes the file. */
  async close(): Promise<void> {
    this.#closed = true
    this.registry.off('change', this.#onChange)
    await rm(this.file, {force: true})
  }
}
