/**
 * Resident memory and CPU time of a process and all its descendants, read from Linux's /proc.
 * @module
 */
import { readFileSync, readdirSync } from 'node:fs'

const TICKS_PER_SECOND = 100

function statOf(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name may hold spaces: fields start after its closing parenthesis.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** `pid` and every process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    const child = Number(entry)
    if (!Number.isInteger(child)) continue
    const parent = Number(statOf(child)?.[1])
    if (!children.has(parent)) children.set(parent, [])
    children.get(parent)!.push(child)
  }
  const tree: number[] = []
  const visit = (node: number) => {
    tree.push(node)
    for (const child of children.get(node) ?? []) visit(child)
  }
  visit(pid)
  return tree
}

/** Resident memory of the tree, bytes (VmRSS summed). */
export function treeRss(pids: number[]): number {
  let kib = 0
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
      if (match) kib += Number(match[1])
    } catch {
      // The process has ended.
    }
  }
  return kib * 1024
}

/** CPU seconds (user + system) the tree has used so far. */
export function treeCpuSeconds(pids: number[]): number {
  let ticks = 0
  for (const pid of pids) {
    const fields = statOf(pid)
    // utime and stime are fields 14 and 15 of stat; the slice starts at field 3.
    if (fields) ticks += Number(fields[11]) + Number(fields[12])
  }
  return ticks / TICKS_PER_SECOND
}

/** Samples the tree's RSS every `everyMs` until stopped; gives the peak seen. */
export function sampleRss(pids: number[], everyMs = 100): { stop(): number } {
  let peak = treeRss(pids)
  const timer = setInterval(() => (peak = Math.max(peak, treeRss(pids))), everyMs)
  return {
    stop() {
      clearInterval(timer)
      return Math.max(peak, treeRss(pids))
    },
  }
}

/** CPU seconds used since the meter started: by the server's process tree, and by this process. */
export interface CpuUse {
  serverSeconds: number
  clientSeconds: number
}

/** Starts measuring CPU; the function returned reads what was used since. */
export function startCpuMeter(tree: number[]): () => CpuUse {
  const server = treeCpuSeconds(tree)
  const client = process.cpuUsage()
  return () => {
    const used = process.cpuUsage(client)
    return { serverSeconds: treeCpuSeconds(tree) - server, clientSeconds: (used.user + used.system) / 1e6 }
  }
}
