// Small hooks the pages share: the API of the signed-in session, loading data with a refresh, a
// timer that pauses while the tab is hidden, and an element's width (charts draw in real pixels).
import { createContext, type RefObject } from 'preact'
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks'
import type { Api } from './api'

export const ApiContext = createContext<Api | null>(null)

export function useApi(): Api {
  const api = useContext(ApiContext)
  if (!api) throw new Error('useApi outside a signed-in session')
  return api
}

export interface Loaded<T> {
  data: T | undefined
  error: unknown
  loading: boolean
  /** Loads again (keeps showing the previous data meanwhile). */
  reload(): Promise<void>
}

/** Runs `load` now and whenever `deps` change; a newer load wins over a slower older one. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({
    data: undefined,
    error: undefined,
    loading: true,
  })
  const seq = useRef(0)
  const latest = useRef(load)
  latest.current = load
  const reload = useCallback(async () => {
    const mine = ++seq.current
    setState((s) => ({ ...s, loading: true }))
    try {
      const data = await latest.current()
      if (mine === seq.current) setState({ data, error: undefined, loading: false })
    } catch (error) {
      if (mine === seq.current) setState((s) => ({ ...s, error, loading: false }))
    }
  }, [])
  useEffect(() => {
    void reload()
  }, deps)
  return { ...state, reload }
}

/** Calls `tick` every `ms` while the tab is visible (and once when it becomes visible again). */
export function useInterval(tick: () => void, ms: number): void {
  const latest = useRef(tick)
  latest.current = tick
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') latest.current()
    }, ms)
    const onVisible = () => {
      if (document.visibilityState === 'visible') latest.current()
    }
    document.addEventListener('visibilitychange', onVisible)
    return () => {
      clearInterval(timer)
      document.removeEventListener('visibilitychange', onVisible)
    }
  }, [ms])
}

export function useWidth<E extends HTMLElement>(fallback: number): [RefObject<E | null>, number] {
  const ref = useRef<E>(null)
  const [width, setWidth] = useState(fallback)
  useEffect(() => {
    const element = ref.current
    if (!element) return
    const observer = new ResizeObserver((entries) => {
      const w = Math.floor(entries[0]?.contentRect.width ?? 0)
      if (w > 0) setWidth(w)
    })
    observer.observe(element)
    return () => observer.disconnect()
  }, [])
  return [ref, width]
}
