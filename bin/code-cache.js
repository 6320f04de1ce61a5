// V8's code cache for the light front (dist/cli/light.cjs): the bytecode of the functions a start runs, made
// once by the build (scripts/light-front-cache.cjs) and given to V8 when bin/mudanza.js compiles the file, so
// a start does not parse and compile them again: `--help` runs about 35 million fewer instructions (valgrind),
// half of what the CLI adds to a bare `node -e 0`. Node 20 has no compile cache of its own (22 has).
// V8 refuses a cache made by another V8 version or with other V8 flags (cachedDataRejected) and compiles as
// usual; it checks the source's length, not its text, so the build writes the cache with each new light.cjs.
// Both sides compile through this file: the cache fits only the text it was made from, wrapper included.
const { readFileSync } = process.getBuiltinModule("node:fs");
const { Script, constants } = process.getBuiltinModule("node:vm");
const { wrap, createRequire } = process.getBuiltinModule("node:module");
const { dirname } = process.getBuiltinModule("node:path");

/** Where the code cache of a CommonJS file lies: beside it. */
const codeCacheOf = (file) => `${file}.code-cache`;

/**
 * A CommonJS file compiled as node's `require` compiles it (its text in node's module wrapper, a #! line
 * blanked), with V8's code cache when one is given.
 */
function compileCommonJs(file, cachedData) {
  const text = readFileSync(file, "utf8").replace(/^#!.*/, "");
  return new Script(wrap(text), {
    filename: file,
    cachedData,
    // `import()` in the file (of node:path, say) resolves as it would in a required file.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
}

/** Runs a compiled CommonJS file once, as a module of its own with a `require` from its own folder. */
function runCommonJs(script, file) {
  const module = { exports: {}, filename: file, id: file };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, dirname(file));
  return module.exports;
}

/**
 * Runs a CommonJS file as `require(file)` would, compiled with the code cache beside it when there is one.
 * Returns whether V8 used that cache: false without one, or when V8 refused it.
 */
function runWithCodeCache(file) {
  let cachedData;
  try {
    cachedData = readFileSync(codeCacheOf(file));
  } catch {
    require(file);
    return false;
  }
  const script = compileCommonJs(file, cachedData);
  runCommonJs(script, file);
  return !script.cachedDataRejected;
}

module.exports = { codeCacheOf, compileCommonJs, runCommonJs, runWithCodeCache };
