// /v1/admin/keys: list, create, show, update, revoke (src/admin/keys.ts does the work).
import { createKey, listKeys, revokeKey, showKey, updateKey } from '../../admin/keys'
import type { AppContext } from '../context'
import { crudRoutes } from './admin-crud'

export function adminKeyRoutes(ctx: AppContext) {
  return crudRoutes(ctx, {
    path: '/v1/admin/keys',
    list: listKeys,
    create: createKey,
    show: showKey,
    update: updateKey,
    remove: revokeKey,
  })
}
