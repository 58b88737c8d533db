// Where a worker's entry file is: beside its caller when run from source, under the compiled binary's
// embedded root (src/) when compiled. A compiled binary holds only the workers scripts/build.ts names.

/** The specifier for `new Worker(…)` of `underSrc` (e.g. 'storage/checkpoint-worker.ts'), from its caller's folder. */
export function workerEntry(caller: ImportMeta, underSrc: string): string {
  const compiled = caller.path.startsWith('/$bunfs/') || caller.path.startsWith('B:/~BUN/')
  if (compiled) return `./${underSrc}`
  const file = underSrc.slice(underSrc.lastIndexOf('/') + 1)
  return new URL(`./${file}`, caller.url).href
}
