import { spawn, type ChildProcess } from "node:child_process";

/**
 * qemu-io holding `image` open read-write (and locked), as a running VM would; resolves once it printed its
 * prompt (the image is open by then). The caller kills it (SIGKILL) when its test ends.
 */
export async function heldOpenByQemuIo(image: string): Promise<ChildProcess> {
  const holder = spawn("qemu-io", ["-f", "qcow2", image], { stdio: ["pipe", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once("data", () => resolve());
    holder.once("exit", (code) => reject(new Error(`qemu-io exited ${code}`)));
    holder.stdin!.write("help\n");
  });
  return holder;
}
