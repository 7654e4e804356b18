// esm_dir_imports.mjs is a module resolve hook for @anycable/serverless-js
// 0.1.0: its published ESM build imports './rpc' and the like without the
// file name, which bundlers accept and Node's ESM loader does not
// (ERR_UNSUPPORTED_DIR_IMPORT). Inside that package only, a failed relative
// import is retried as <specifier>/index.js, then <specifier>.js.
//
//   import { register } from 'node:module'
//   register('./esm_dir_imports.mjs', import.meta.url)
//   const serverless = await import('@anycable/serverless-js')

const PACKAGE = '/node_modules/@anycable/serverless-js/'

export async function resolve (specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (err) {
    const inPackage = context.parentURL && context.parentURL.includes(PACKAGE)
    if (!inPackage || !specifier.startsWith('.')) throw err
    if (err.code === 'ERR_UNSUPPORTED_DIR_IMPORT') return next(specifier + '/index.js', context)
    if (err.code === 'ERR_MODULE_NOT_FOUND') return next(specifier + '.js', context)
    throw err
  }
}
