import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, symlink, utimes } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { makeOwnTmpdirCommand, removeLeftoversCommand } from "../../src/steps/image/own-tmpdir.js";

// libguestfs puts root's socket folder in /tmp whatever TMPDIR says: after a killed sparsify, the undo removes
// the ones that run made (new-user trial 8, finding 10). Here the socket root is a folder of the test's own.
let root: string;
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  await rm(root, { recursive: true, force: true });
});

const shell = (command: string): void => void execFileSync("sh", ["-c", command]);

describe("the undo of a killed sparsify", () => {
  it("removes libguestfs socket folders made since its own folder, unless a live process listens in one", async () => {
    root = await mkdtemp(join(tmpdir(), "mudanza-lgsock-"));
    const before = join(root, "libguestfsAAAAAA");
    await mkdir(before);
    const past = new Date(Date.now() - 60_000);
    await utimes(before, past, past);
    const own = join(root, "mudanza-sparsify-web1");
    shell(makeOwnTmpdirCommand(own));
    const ownMark = join(own, ".started");
    await utimes(ownMark, new Date(Date.now() - 30_000), new Date(Date.now() - 30_000));
    const killed = join(root, "libguestfsBBBBBB");
    await mkdir(killed);
    shell(`: > '${killed}/guestfsd.sock'`); // a socket file whose process is gone: a plain leftover
    const live = join(root, "libguestfsCCCCCC");
    await mkdir(live);
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(join(live, "guestfsd.sock"), resolve));
    const linked = join(root, "libguestfsDDDDDD");
    await symlink(killed, linked);

    shell(removeLeftoversCommand(own, root));
    expect(existsSync(killed)).toBe(false);
    expect(existsSync(own)).toBe(false);
    expect(existsSync(before)).toBe(true); // older than the run: another run's
    expect(existsSync(live)).toBe(true); // a live libguestfs still listens there
    expect(existsSync(join(live, "guestfsd.sock"))).toBe(true);
  });

  it("without its own folder's mark removes nothing of libguestfs's", async () => {
    root = await mkdtemp(join(tmpdir(), "mudanza-lgsock-"));
    const other = join(root, "libguestfsEEEEEE");
    await mkdir(other);
    shell(removeLeftoversCommand(join(root, "mudanza-sparsify-gone"), root));
    expect(existsSync(other)).toBe(true);
  });
});
