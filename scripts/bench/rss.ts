// Resident memory of a process, from /proc/<pid>/status (Linux). Null where there is no /proc or the
// process is gone; the bench then reports "unknown" rather than failing.
import { readFileSync } from 'node:fs'

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

export interface RssSampler {
  /** Stops sampling; the highest VmRSS seen, in bytes (null when none could be read). */
  stop(): number | null
}

/** Reads VmRSS every `everyMs` until stopped: the peak over a window, which VmHWM (lifetime) cannot give. */
export function sampleRss(pid: number, everyMs = 20): RssSampler {
  let peak: number | null = readMemory(pid, 'VmRSS')
  const take = () => {
    const now = readMemory(pid, 'VmRSS')
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
