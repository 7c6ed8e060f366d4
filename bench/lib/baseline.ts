/**
 * The sources of `edgepod-baseline`: another commit of this repository, checked out as a detached
 * `git worktree` in a temporary directory outside it, and removed afterwards.
 * @module
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, unlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { root } from '../../test/conformance/runtimes/spawn-server.ts'

/** A checked-out baseline: what was asked for, what it resolved to, where it is. */
export interface Baseline {
  /** The git ref as given (`main`, `HEAD~3`, a tag...). */
  ref: string
  /** The commit it resolved to when checked out. */
  commit: string
  /** The worktree. */
  dir: string
  /** Its `src/index.ts`, for `EDGEPOD_BASELINE_SRC`. */
  src: string
  /** Removes the worktree and its temporary directory; safe to call twice. */
  remove(): void
}

const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()

/**
 * Checks `ref` out as a detached worktree under the system's temporary directory. Its
 * `node_modules` is a link to this repository's, so the baseline's imports of hono and the rest
 * resolve, on every runtime, to the very packages `edgepod` uses: only edgepod's sources differ.
 */
export function checkOutBaseline(ref: string): Baseline {
  let commit: string
  try {
    commit = git('rev-parse', '--verify', '--end-of-options', `${ref}^{commit}`)
  } catch (error) {
    throw new Error(`--baseline ${ref}: not a commit of this repository (${stderrOf(error)})`)
  }
  // A directory of our own around the worktree: git wants to create the worktree's itself.
  const parent = mkdtempSync(join(tmpdir(), 'edgepod-baseline-'))
  const dir = join(parent, 'edgepod')
  const modules = join(dir, 'node_modules')
  let removed = false
  const remove = () => {
    if (removed) return
    removed = true
    // The link goes first, and by unlink (which never recurses), so that nothing below can reach
    // into the repository's node_modules.
    try {
      unlinkSync(modules)
    } catch {
      // Never made.
    }
    try {
      git('worktree', 'remove', '--force', dir)
    } catch {
      // Half made, or already gone: the directory goes below, and prune forgets it.
    }
    rmSync(parent, { recursive: true, force: true })
    try {
      git('worktree', 'prune')
    } catch {
      // Nothing worth failing the run for: `git worktree prune` later does the same.
    }
  }
  try {
    git('worktree', 'add', '--detach', dir, commit)
    symlinkSync(join(root, 'node_modules'), modules, 'dir')
  } catch (error) {
    remove()
    throw new Error(`--baseline ${ref}: could not make a worktree of ${commit} (${stderrOf(error)})`)
  }
  return { ref, commit, dir, src: join(dir, 'src', 'index.ts'), remove }
}

/** What a failed git command said, or the error's message. */
function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: unknown }).stderr
  if (typeof stderr === 'string' && stderr.trim()) return stderr.trim().split('\n')[0]!
  return error instanceof Error ? error.message : String(error)
}
