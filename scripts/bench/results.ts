// The shape of .bench/results.json: what ran, on what machine, and every figure. The report, the chart
// and the docs section are all rendered from it.
import type { BenchMode } from './options'
import type { TargetName } from './scenarios'
import type { ScenarioResult, Verdict } from './verdicts'

export interface ProcessInfo {
  target: TargetName | 'mock'
  label: string
  command: readonly string[]
  pid: number
  /**
   * VmRSS after start-up, before the first request (every process started, then a short settle), in MB
   * (10^6 bytes); summed over the process and its descendants (a gateway's workers).
   */
  idleRssMB: number | null
  /** VmHWM at the end of the run: the process's peak resident memory, in MB; for several processes the sum of their peaks. */
  peakRssMB: number | null
  /** How many processes the figures sum: 1, or a supervisor and its workers. */
  processCount: number
}

export interface BenchResults {
  meta: {
    date: string
    mode: BenchMode
    bun: string
    crabllm: 'binary' | 'source'
    extensions: string
    commit: string | undefined
    /** src/ had uncommitted changes: crabllm was built from the working tree, not from `commit`. */
    srcDirty: boolean
    platform: string
    cpu: string
    cores: number
    loadavgAtStart: number[]
    /** Measured seconds per target per load scenario, split over `rounds`. */
    durationS: number
    rounds: number
    warmupS: number
    openStreamRounds: number
    /** BUN_CONFIG_MAX_HTTP_REQUESTS given to the Bun gateways (crabllm, relay, peer); null = Bun's default (256). */
    fetchLimit: number | null
    /** Wall time of the whole run, builds and startup included. */
    wallS: number
    /** --workers: the counts crabllm was started with, one target each (the first is `crabllm`); absent without the flag. */
    workers?: number[]
    /** --baseline: the absolute path of the other crabllm binary measured as the target `baseline`. */
    baseline?: string
    /** Why a peer was asked for and not measured. */
    peerSkipped?: string
  }
  processes: ProcessInfo[]
  scenarios: ScenarioResult[]
  verdicts: Verdict[]
}
