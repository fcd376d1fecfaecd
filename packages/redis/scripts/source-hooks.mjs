// Lets plain `node` run this repository's TypeScript sources (Node ≥ 22.15 strips types): the
// sources import siblings as `./x.js`, which exist only as `./x.ts` until built. Use with
// `node --conditions=@semcache/source --import ./scripts/source-hooks.mjs file.ts`, where the
// condition resolves workspace packages to their `src/index.ts`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if (specifier.startsWith('.') && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw error;
    }
  },
});
