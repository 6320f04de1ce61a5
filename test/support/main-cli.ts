import { vi } from "vitest";
import { main } from "../../src/cli/program.js";

/** The CLI's main() run in this process: its exit code, what it wrote on stdout, and what it said on stderr. */
export async function runMain(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => ((out += String(chunk)), true));
  try {
    const code = await main(args, (text) => {
      err += text;
    });
    return { code, out, err };
  } finally {
    stdout.mockRestore();
  }
}
