// Hash routes (#/keys): one HTML page at /ui serves every page, and a reload or a shared link opens the
// same page. No history API: the server needs no route per page.
import { useEffect, useState } from 'preact/hooks'

export const PAGES = [
  { id: 'overview', title: 'Overview' },
  { id: 'keys', title: 'Keys' },
  { id: 'providers', title: 'Providers' },
  { id: 'logs', title: 'Logs' },
] as const
export type PageId = (typeof PAGES)[number]['id']

export function pageOf(hash: string): PageId {
  const id = hash.replace(/^#\/?/, '').split(/[/?]/)[0]
  return PAGES.find((p) => p.id === id)?.id ?? 'overview'
}

export function useRoute(): PageId {
  const [page, setPage] = useState<PageId>(() => pageOf(location.hash))
  useEffect(() => {
    const onChange = () => setPage(pageOf(location.hash))
    addEventListener('hashchange', onChange)
    return () => removeEventListener('hashchange', onChange)
  }, [])
  return page
}
