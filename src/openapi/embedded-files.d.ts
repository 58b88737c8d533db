// The Scalar bundle is imported `with { type: 'file' }` (src/openapi/scalar.ts): Bun gives its path,
// inside the binary once compiled. TypeScript needs to be told so.
declare module '*/standalone.js' {
  const path: string
  export default path
}
