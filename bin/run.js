#!/usr/bin/env node
// `@oclif/core/execute` rather than the package root: ~30 ms less start-up (style.md §4).
import {execute} from '@oclif/core/execute'

await execute({dir: import.meta.url})
