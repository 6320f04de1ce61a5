import { describe, expect, it } from "vitest";
import { rememberingReads } from "../../src/hosts/dry-run-reads.js";
import { FileNotFoundError, type ExecOptions, type ExecResult, type Host } from "../../src/hosts/host.js";

/** A host that counts what reaches it; `answer` decides each command's result. */
function countingHost(answer: (command: string, options: ExecOptions | undefined, call: number) => ExecResult) {
  const calls: string[] = [];
  const files = new Map<string, string>([["/etc/hostname", "vm1\n"]]);
  const host: Host = {
    role: "target",
    address: "scripted",
    hostKeyFingerprint: undefined,
    async exec(command, options) {
      calls.push(`exec ${command}`);
      const result = answer(command, options, calls.filter((c) => c === `exec ${command}`).length);
      for (const line of result.stdout.split("\n").filter(Boolean)) options?.onStdout?.(line);
      return result;
    },
    async readFile(path) {
      calls.push(`read ${path}`);
      if (path === "/flaky" && count(calls, "read /flaky") === 1) throw new Error("connection reset");
      const content = files.get(path);
      if (content === undefined) throw new FileNotFoundError(path, "scripted");
      return content;
    },
    async stat(path) {
      calls.push(`stat ${path}`);
      return files.has(path) ? { type: "file", mode: 0o644, size: 4, uid: 0, gid: 0 } : null;
    },
    async writeFile(path, content) {
      files.set(path, content);
    },
    async reconnect() {
      calls.push("reconnect");
    },
    async close() {},
  };
  return { host, calls, files };
}

const count = (calls: string[], call: string): number => calls.filter((c) => c === call).length;

describe("a dry run's host answers repeated reads from the first answer", () => {
  it("sends a command, a file read or a stat once; another stdin is another command", async () => {
    const { host: inner, calls } = countingHost((command, options) => ({
      code: 0,
      stdout: command === "mariadb --batch" ? String(options?.stdin ?? "") : "ID=debian\n",
      stderr: "",
    }));
    const host = rememberingReads(inner);
    expect((await host.exec("cat /etc/os-release")).stdout).toBe("ID=debian\n");
    expect((await host.exec("cat /etc/os-release")).stdout).toBe("ID=debian\n");
    expect(count(calls, "exec cat /etc/os-release")).toBe(1);
    expect((await host.exec("mariadb --batch", { stdin: "SELECT 1" })).stdout).toBe("SELECT 1");
    expect((await host.exec("mariadb --batch", { stdin: "SELECT 2" })).stdout).toBe("SELECT 2");
    expect(count(calls, "exec mariadb --batch")).toBe(2);
    expect(await host.readFile("/etc/hostname")).toBe("vm1\n");
    expect(await host.readFile("/etc/hostname")).toBe("vm1\n");
    expect(await host.stat("/etc/hostname")).toMatchObject({ type: "file" });
    await host.stat("/etc/hostname");
    expect(count(calls, "read /etc/hostname")).toBe(1);
    expect(count(calls, "stat /etc/hostname")).toBe(1);
  });

  it("remembers that a file is absent: nothing creates it during a dry run", async () => {
    const { host: inner, calls } = countingHost(() => ({ code: 0, stdout: "", stderr: "" }));
    const host = rememberingReads(inner);
    await expect(host.readFile("/etc/redhat-release")).rejects.toThrow(FileNotFoundError);
    await expect(host.readFile("/etc/redhat-release")).rejects.toThrow(FileNotFoundError);
    expect(count(calls, "read /etc/redhat-release")).toBe(1);
  });

  it("asks again after a timeout, a failure to read, a streamed command and a reconnect", async () => {
    const {
      host: inner,
      calls,
      files,
    } = countingHost((command, _options, call) =>
      command === "slow" && call === 1
        ? { code: 124, stdout: "", stderr: "", timedOut: true }
        : { code: 0, stdout: command === "progress" ? "1\n2\n" : "done\n", stderr: "" },
    );
    const host = rememberingReads(inner);
    expect((await host.exec("slow")).timedOut).toBe(true);
    expect((await host.exec("slow")).stdout).toBe("done\n");
    files.set("/flaky", "here\n");
    await expect(host.readFile("/flaky")).rejects.toThrow("connection reset");
    expect(await host.readFile("/flaky")).toBe("here\n");
    const lines: string[] = [];
    await host.exec("progress", { onStdout: (line) => lines.push(line) });
    await host.exec("progress", { onStdout: (line) => lines.push(line) });
    expect(lines).toEqual(["1", "2", "1", "2"]);
    await host.exec("uptime");
    await host.reconnect();
    await host.exec("uptime");
    expect(count(calls, "exec uptime")).toBe(2);
  });
});
