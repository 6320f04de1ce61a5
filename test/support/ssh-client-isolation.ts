/**
 * Keeps the ssh client of a test off the real ~/.ssh: an empty HOME inside the test's own folder, no ssh
 * config (MUDANZA_SSH_CONFIG=none) and no agent. Call in beforeAll, after the folder exists; the returned
 * function puts the three variables back as they were (in afterAll).
 *
 *   sshd = await startSshd();
 *   restoreSshClient = await isolateSshClient(sshd.dir);
 *   ...
 *   restoreSshClient();
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";

const ISOLATED = ["HOME", "MUDANZA_SSH_CONFIG", "SSH_AUTH_SOCK"] as const;

export async function isolateSshClient(dir: string): Promise<() => void> {
  const saved = Object.fromEntries(ISOLATED.map((name) => [name, process.env[name]]));
  const home = join(dir, "home");
  await mkdir(home);
  process.env.HOME = home;
  process.env.MUDANZA_SSH_CONFIG = "none";
  delete process.env.SSH_AUTH_SOCK;
  return () => {
    for (const name of ISOLATED) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
