// /v1/admin/providers: list, create, show, update, delete (src/admin/providers.ts does the work).
import { addProvider, changeProvider, listProviders, removeProvider, showProvider } from '../../admin/providers'
import type { AppContext } from '../context'
import { crudRoutes } from './admin-crud'

export function adminProviderRoutes(ctx: AppContext) {
  return crudRoutes(ctx, {
    path: '/v1/admin/providers',
    list: listProviders,
    create: addProvider,
    show: showProvider,
    update: changeProvider,
    remove: removeProvider,
  })
}
