// V8's code cache for the light front (dist/cli/light.cjs): the bytecode of the functions a start runs, made
// once by the build (scripts/light-front-cache.cjs) and given to V8 when bin/mudanza.js compiles the file, so
// a start does not parse and compile them again: `--help` runs about 35 million fewer instructions (valgrind),
// half of what the CLI adds to a bare `node -e 0`. Node 20 has no compile cache of its own (22 has).
// V8 refuses a cache made by another V8 version or with other V8 flags (cachedDataRejected) and compiles as
// usual. It checks the source's length, not its text: a cache of another text of the same length would run
// that text's functions. So the build ends light.cjs with an ID of its own and writes the same ID at the head
// of the cache; a cache whose ID is not the file's is not given to V8.
// Both sides compile through this file: the cache fits only the text it was made from, wrapper included.
const { readFileSync, writeFileSync } = process.getBuiltinModule("node:fs");
const { Script, constants } = process.getBuiltinModule("node:vm");
const { wrap, createRequire } = process.getBuiltinModule("node:module");
const { basename, dirname } = process.getBuiltinModule("node:path");

/** Where the code cache of a CommonJS file lies: beside it. */
const codeCacheOf = (file) => `${file}.code-cache`;

/** The last line of a built light front: this mark and the build's ID (scripts/light-front.mjs). */
const BUILD_MARK = "// light front build ";
/** The ID's length: 16 hex digits. */
const ID_BYTES = 16;

/** The build ID a file ends with, or undefined. */
function buildIdOf(text) {
  const at = text.lastIndexOf(BUILD_MARK);
  const id = at < 0 ? "" : text.slice(at + BUILD_MARK.length).trim();
  return id.length === ID_BYTES ? id : undefined;
}

/**
 * A CommonJS file's text compiled as node's `require` compiles it (in node's module wrapper, a #! line
 * blanked), with V8's code cache when one is given.
 */
function compileCommonJs(file, text, cachedData) {
  return new Script(wrap(text.replace(/^#!.*/, "")), {
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
 * The file name a cache is made under. V8 keeps the name of the compile that made the cache: the functions it
 * holds name that file in their stack traces wherever the package runs (an installed CLI's traces named the
 * folder it was built in; new-user trial 11). So the build compiles under the name the file has in the package.
 */
const nameInPackage = (file) => `mudanza/dist/cli/${basename(file)}`;

/** Compiles `text` of `file` as the build does before it writes the cache: under its name in the package. */
function compileForCodeCache(file, text) {
  return compileCommonJs(nameInPackage(file), text, undefined);
}

/** Writes the code cache of `script`, compiled from `text` (which must end with its build ID), beside `file`. */
function writeCodeCache(file, text, script) {
  const id = buildIdOf(text);
  if (!id) throw new Error(`${file} does not end with a build ID (${BUILD_MARK}…): no code cache can fit it`);
  writeFileSync(codeCacheOf(file), Buffer.concat([Buffer.from(id, "latin1"), script.createCachedData()]));
}

/**
 * Runs a CommonJS file as `require(file)` would, compiled with the code cache beside it when there is one of
 * this very text. Returns whether V8 used that cache: false without one, for another text, or when V8 refused it.
 */
function runWithCodeCache(file) {
  let cache;
  try {
    cache = readFileSync(codeCacheOf(file));
  } catch {
    require(file);
    return false;
  }
  const text = readFileSync(file, "utf8");
  const id = buildIdOf(text);
  const fits = id !== undefined && cache.subarray(0, ID_BYTES).toString("latin1") === id;
  const script = compileCommonJs(file, text, fits ? cache.subarray(ID_BYTES) : undefined);
  runCommonJs(script, file);
  return fits && !script.cachedDataRejected;
}

module.exports = {
  BUILD_MARK,
  codeCacheOf,
  compileCommonJs,
  compileForCodeCache,
  nameInPackage,
  runCommonJs,
  runWithCodeCache,
  writeCodeCache,
};
