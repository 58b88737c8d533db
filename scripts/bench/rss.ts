// Resident memory of a process, or of a process and its descendants (a gateway started with --workers
// is a supervisor and its worker processes), from /proc (Linux). Null where there is no /proc or the
// process is gone; the bench then reports "unknown" rather than failing.
import { readdirSync, readFileSync } from 'node:fs'

/** VmRSS (resident now) or VmHWM (the peak resident since the process started), in bytes. */
export function readMemory(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]
    return kb ? Number(kb) * 1024 : null
  } catch {
    return null
  }
}

/**
 * `pid` and every process descended from it (children, their children, …), `pid` first. The kernel here
 * has no /proc/<pid>/task/<tid>/children (CONFIG_PROC_CHILDREN), so the parent of every process is read
 * from the ppid field of /proc/<n>/stat. Just [pid] without /proc.
 */
export function processTree(pid: number): number[] {
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return [pid]
  }
  const children = new Map<number, number[]>()
  for (const entry of entries) {
    const child = Number(entry)
    if (!Number.isInteger(child) || child <= 0) continue
    const parent = parentOf(child)
    if (parent === undefined) continue
    const list = children.get(parent)
    if (list) list.push(child)
    else children.set(parent, [child])
  }
  const out = [pid]
  for (let i = 0; i < out.length; i++) for (const child of children.get(out[i]!) ?? []) out.push(child)
  return out
}

/**
 * The field summed over `pid` and its descendants, and how many processes that was. Summed VmRSS is what
 * the tree holds now; summed VmHWM adds peaks that need not have happened at the same time, so for a tree
 * of several processes it is an upper bound of the tree's peak.
 */
export function readTreeMemory(pid: number, field: 'VmRSS' | 'VmHWM'): { bytes: number | null; processes: number } {
  return sumMemory(processTree(pid), field)
}

export interface RssSampler {
  /** Stops sampling; the highest VmRSS seen, in bytes (null when none could be read). */
  stop(): number | null
}

/**
 * Reads VmRSS every `everyMs` until stopped: the peak over a window, which VmHWM (lifetime) cannot give.
 * The VmRSS of `pid`'s descendants is added (a supervisor's workers); the tree is looked up again every
 * `rescanMs`, not on every sample, since that reads every process's stat file.
 */
export function sampleRss(pid: number, everyMs = 20, rescanMs = 1000): RssSampler {
  let tree = processTree(pid)
  let scanned = performance.now()
  let peak: number | null = sumMemory(tree, 'VmRSS').bytes
  const take = () => {
    if (performance.now() - scanned >= rescanMs) {
      tree = processTree(pid)
      scanned = performance.now()
    }
    const now = sumMemory(tree, 'VmRSS').bytes
    if (now !== null && (peak === null || now > peak)) peak = now
  }
  const timer = setInterval(take, everyMs)
  return {
    stop() {
      clearInterval(timer)
      take()
      return peak
    },
  }
}

/** Bytes → MB (10^6 bytes, the unit of the targets). */
export function toMB(bytes: number | null): number | null {
  return bytes === null ? null : bytes / 1e6
}

// --- internal ---

function sumMemory(pids: readonly number[], field: 'VmRSS' | 'VmHWM'): { bytes: number | null; processes: number } {
  let bytes: number | null = null
  let processes = 0
  for (const pid of pids) {
    const value = readMemory(pid, field)
    if (value === null) continue
    bytes = (bytes ?? 0) + value
    processes++
  }
  return { bytes, processes }
}

/** The ppid field of /proc/<pid>/stat: after the command name, which is in parentheses and may hold spaces or parentheses itself. */
function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ppid = Number(fields[1])
    return Number.isInteger(ppid) ? ppid : undefined
  } catch {
    return undefined
  }
}
