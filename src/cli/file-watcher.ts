/**
 * Watches a changing set of files for `edgepod dev`, by their directories: editors that save by
 * writing a new file and renaming it over the old one replace the inode a per-file watch follows.
 * @module
 */
import { watch } from 'node:fs'
import type { FSWatcher } from 'node:fs'
import { dirname, join } from 'node:path'

/** How long a burst of events (an editor's write, rename and chmod) is gathered into one change. */
const SETTLE_MS = 50

/** A set of watched files that calls back once per burst of changes to any of them. */
export interface FileWatcher {
  /** Watches exactly `files` (absolute paths) from now on. */
  set(files: Iterable<string>): void
  /** Adds one file. */
  add(file: string): void
  /** Stops watching. */
  close(): void
}

/** Calls `onChange` with the changed paths, once they settle, whenever a watched file changes. */
export function watchFiles(onChange: (changed: string[]) => void): FileWatcher {
  const files = new Set<string>()
  const directories = new Map<string, FSWatcher>()
  const changed = new Set<string>()
  let timer: ReturnType<typeof setTimeout> | undefined

  const report = () => {
    timer = undefined
    const paths = [...changed]
    changed.clear()
    onChange(paths)
  }
  const watchDirectory = (directory: string) => {
    if (directories.has(directory)) return
    const watcher = watch(directory, (_event, name) => {
      const path = name === null ? undefined : join(directory, name.toString())
      if (path === undefined || !files.has(path)) return
      changed.add(path)
      clearTimeout(timer)
      timer = setTimeout(report, SETTLE_MS)
    })
    // A directory that disappears ends its watch; what it held is then watched no more.
    watcher.on('error', () => {
      watcher.close()
      directories.delete(directory)
    })
    directories.set(directory, watcher)
  }
  const add = (file: string) => {
    if (files.has(file)) return
    files.add(file)
    try {
      watchDirectory(dirname(file))
    } catch {
      // The directory is gone or unreadable: nothing there can change.
    }
  }

  return {
    set(next) {
      files.clear()
      for (const file of next) add(file)
      const wanted = new Set([...files].map((file) => dirname(file)))
      for (const [directory, watcher] of directories) {
        if (wanted.has(directory)) continue
        watcher.close()
        directories.delete(directory)
      }
    },
    add,
    close() {
      clearTimeout(timer)
      for (const watcher of directories.values()) watcher.close()
      directories.clear()
      files.clear()
    },
  }
}

