import { open, type FileHandle } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { afterEach, vi } from "vitest";

/** What a write into a full (or read-only) state dir rejects with, as node reports it. */
export function writeError(code = "ENOSPC"): NodeJS.ErrnoException {
  const text: Record<string, string> = { ENOSPC: "no space left on device", EROFS: "read-only file system" };
  return Object.assign(new Error(`${code}: ${text[code] ?? "failed"}, write`), { code, syscall: "write" });
}

/**
 * Call at a test file's top level: `failWrites(which)` makes every FileHandle.writeFile whose text `which`
 * picks write its first half and then fail with ENOSPC, as a state dir filling up does (the journal, the
 * locks); restored after each test. The real file system, with only the write's outcome changed.
 */
export function useFailingWrites(): (which: (text: string) => boolean, code?: string) => Promise<void> {
  afterEach(() => {
    vi.restoreAllMocks();
  });
  return async (which, code = "ENOSPC") => {
    const probe = await open(fileURLToPath(import.meta.url), "r");
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const write = proto.writeFile;
    vi.spyOn(proto, "writeFile").mockImplementation(async function (
      this: FileHandle,
      ...args: Parameters<FileHandle["writeFile"]>
    ) {
      const text = String(args[0]);
      if (!which(text)) return write.apply(this, args);
      await write.call(this, text.slice(0, Math.floor(text.length / 2)));
      throw writeError(code);
    });
  };
}
