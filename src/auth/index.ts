// Keys: who is calling (principal.ts) and how a request's key is checked (authenticator.ts).
export {
  type Authenticator,
  createAuthenticator,
  digest,
  keyIdOf,
  presentedKey,
  type StoredKey,
  sameSecret,
} from './authenticator'
export { ADMIN, ANONYMOUS, allows, assertAllowed, isAdmin, type Principal, RESERVED_KEY_NAMES } from './principal'
