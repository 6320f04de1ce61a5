// `node --import ./record-imports.mjs …`: appends the URL of every module the program resolves to the file
// named by MUDANZA_IMPORT_LOG, so a test can read the module graph of one command.
import { register } from "node:module";

register("./record-imports-hooks.mjs", import.meta.url);
