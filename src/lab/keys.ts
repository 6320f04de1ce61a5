import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { runLocal } from "./local.js";

/** The tool's key pair: the lab installs the public half in both trees' /root/.ssh/authorized_keys. */
export async function generateToolKey(path: string): Promise<string> {
  await runLocal(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "mudanza-lab-tool", "-f", path]);
  return (await readFile(`${path}.pub`, "utf8")).trim();
}

/** The public host keys of a tree (`TYPE BASE64` lines), as its sshd will present them. */
export async function readHostKeys(tree: string): Promise<string[]> {
  const dir = join(tree, "etc", "ssh");
  const names = (await readdir(dir)).filter((n) => /^ssh_host_.*_key\.pub$/.test(n)).sort();
  const keys: string[] = [];
  for (const name of names) {
    const [type, blob] = (await readFile(join(dir, name), "utf8")).trim().split(/\s+/);
    if (type && blob) keys.push(`${type} ${blob}`);
  }
  if (keys.length === 0) throw new Error(`no ssh host keys in ${dir}: was openssh-server installed?`);
  return keys;
}

/** known_hosts lines for host:port (OpenSSH writes [host]:port for ports other than 22). */
export function knownHostsLines(host: string, port: number, keys: string[]): string[] {
  const name = port === 22 ? host : `[${host}]:${port}`;
  return keys.map((key) => `${name} ${key}`);
}

/** SHA256 fingerprint of one public key line, as `ssh-keygen -lf` prints it. */
export async function fingerprint(publicKey: string): Promise<string> {
  const out = await runLocal(["ssh-keygen", "-l", "-E", "sha256", "-f", "-"], { input: publicKey + "\n" });
  const fp = out.split(/\s+/)[1];
  if (!fp?.startsWith("SHA256:")) throw new Error(`unexpected ssh-keygen output: ${out}`);
  return fp;
}
