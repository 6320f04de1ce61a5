import type { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { buildProgram, main } from "../../src/cli/program.js";

afterEach(() => vi.restoreAllMocks());

/** Every runnable command as its argv path: ["image", "clone"], ["status"], ... */
function leafPaths(command: Command, prefix: string[] = []): string[][] {
  const subs = command.commands.filter((c) => c.name() !== "help");
  if (subs.length === 0) return [prefix];
  return subs.flatMap((c) => leafPaths(c, [...prefix, c.name()]));
}

describe("subcommand help", () => {
  it("ends with an example of the command itself", async () => {
    const paths = leafPaths(buildProgram(() => undefined));
    expect(paths.length).toBeGreaterThan(6);
    for (const path of paths) {
      let out = "";
      vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
      const code = await main([...path, "--help"]);
      vi.restoreAllMocks();
      expect(code, path.join(" ")).toBe(0);
      expect(out, path.join(" ")).toMatch(
        new RegExp(`Examples?:\\n(\\s+.*\\n)*\\s+(sudo )?mudanza ${path.join(" ")}\\b`),
      );
    }
  });
});
