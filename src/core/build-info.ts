// Which build this is: version (package.json), commit, build time and target, set by scripts/build.ts
// through `bun build --define` (the CRABLLM_BUILD_* names below are replaced by string literals in a
// compiled binary). Run from source, there is no build: commit "unknown", built "source", and the
// target is the platform Bun runs on. `crabllm version`, GET /health and crabllm_build_info show it.
import pkg from '../../package.json' with { type: 'json' }

declare const CRABLLM_BUILD_COMMIT: string
declare const CRABLLM_BUILD_DATE: string
declare const CRABLLM_BUILD_TARGET: string

export interface BuildInfo {
  version: string
  /** Short commit hash; "unknown" from source or outside a git checkout; "-dirty" when uncommitted changes were built. */
  commit: string
  /** ISO 8601 time of the build; "source" when run from source. */
  built: string
  /** `<os>-<arch>[-musl|-baseline]`, as in the release archive names. */
  target: string
}

export const BUILD: BuildInfo = {
  version: pkg.version,
  commit: typeof CRABLLM_BUILD_COMMIT === 'string' ? CRABLLM_BUILD_COMMIT : 'unknown',
  built: typeof CRABLLM_BUILD_DATE === 'string' ? CRABLLM_BUILD_DATE : 'source',
  target: typeof CRABLLM_BUILD_TARGET === 'string' ? CRABLLM_BUILD_TARGET : `${process.platform}-${process.arch}`,
}

/** `crabllm 0.1.0 (commit 1a2b3c4, built 2026-12-03T16:40:00Z, linux-x64)`: what `crabllm version` prints. */
export function versionLine(build: BuildInfo = BUILD): string {
  return `crabllm ${build.version} (commit ${build.commit}, built ${build.built}, ${build.target})`
}
