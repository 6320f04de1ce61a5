import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { gatherInventory } from "../../../src/steps/vserver-to-openvz/inventory.js";
import { webWorld, type World } from "./scripted-world.js";
import { stepContext, vsPlan } from "./support.js";

const scripted = {
  source: { transport: "scripted", fixture: "x", host: "vs1.example.net" },
  target: { transport: "scripted", fixture: "x", host: "node1.example.net" },
};

async function inventoryOf(world: World, options: Record<string, unknown> = {}, facts: Record<string, unknown> = {}) {
  const ctx = stepContext(vsPlan(options, scripted), { source: world.source, target: world.target }, facts);
  const gathered = await gatherInventory(ctx);
  return {
    ...gathered,
    blockers: gathered.findings.filter((f) => f.blocks).map((f) => `${f.title}: ${f.summary}`),
    warnings: gathered.findings.filter((f) => !f.blocks).map((f) => f.title),
  };
}

describe("inventory checks", () => {
  it("finds nothing to block on the web1 fixtures and records what later steps need", async () => {
    const { inventory, blockers } = await inventoryOf(await webWorld());
    expect(blockers).toEqual([]);
    expect(inventory).toMatchObject({
      ctid: 1001,
      privateDir: "/vz/private/1001",
      rootDir: "/vz/root/1001",
      confPath: "/etc/vz/conf/1001.conf",
      osTemplate: "debian-6.0-x86_64",
      running: true,
      diskUsedKb: 412316,
    });
    expect(inventory?.services).toEqual(["init", "rsyslogd", "cron", "sshd", "apache2", "ntpd"]);
  });

  it("uses options.ctid instead of the context id", async () => {
    const { inventory, blockers } = await inventoryOf(await webWorld("fixtures/hosts/openvz-node-ctid-taken"), {
      ctid: 2001,
    });
    expect(blockers).toEqual([]);
    expect(inventory?.privateDir).toBe("/vz/private/2001");
  });

  const cases: Array<[string, (w: World) => void, Record<string, unknown>, RegExp]> = [
    [
      "an address the node itself has",
      (w) =>
        w.target.on("ip -o addr show", {
          stdout: "2: eth0    inet 198.18.10.21/24 brd 198.18.10.255 scope global eth0\n",
        }),
      {},
      /IP 198\.18\.10\.21 is in use: the OpenVZ node itself has this address/,
    ],
    [
      "too little space",
      (w) =>
        w.target.on("df -Pk /vz/private", {
          stdout: "Filesystem 1024-blocks Used Available Capacity Mounted on\n/dev/vda 1000000 900000 100000 90% /vz\n",
        }),
      {},
      /Not enough space on the node: the guest uses 412316 KiB; \/vz\/private has 100000 KiB free/,
    ],
    ["no vzctl", (w) => w.target.on("command -v vzctl", { code: 1 }), {}, /vzctl missing/],
    [
      "no ssh path from the source",
      (w) =>
        w.source.on("ssh -p 22 -o BatchMode=yes root@node1.example.net true", {
          code: 255,
          stderr: "Host key verification failed.\n",
        }),
      {},
      /Source cannot reach the node: .*exited 255: Host key verification failed\./,
    ],
    [
      "an rsync on the VServer host too old to send the copy",
      (w) =>
        w.source.on("rsync --version", {
          stdout: readFileSync("fixtures/hosts/rsync-output/version-3.0.0.txt", "utf8"),
        }),
      {},
      /rsync too old on the source: the source has rsync 3\.0\.0; as the end that sends the copy it needs rsync 3\.1\.0 or later/,
    ],
    [
      "an rsync on the node too old to receive it",
      (w) =>
        w.target.on("rsync --version", {
          stdout: readFileSync("fixtures/hosts/rsync-output/version-2.6.0.txt", "utf8"),
        }),
      {},
      /rsync too old on the target: the target has rsync 2\.6\.0; as the end that receives the copy it needs rsync 3\.0\.0 or later/,
    ],
    [
      "an unknown guest",
      () => undefined,
      { guest: "nope" },
      /VServer guest not found: \/etc\/vservers\/nope does not exist/,
    ],
    [
      "a context id below 101 and no ctid",
      (w) => w.source.putFile("/etc/vservers/web1/context", "42\n"),
      {},
      /No container id: the guest's context id \(42\) cannot be a CTID/,
    ],
    [
      "util-vserver not answering",
      (w) => w.source.on("vserver web1 status", { code: 127, stderr: "sh: vserver: not found\n" }),
      {},
      /Cannot ask util-vserver: .*exited 127: sh: vserver: not found/,
    ],
    [
      "no vz.conf",
      (w) => w.target.deleteFile("/etc/vz/vz.conf"),
      {},
      /Not an OpenVZ node: \/etc\/vz\/vz\.conf does not exist/,
    ],
  ];
  for (const [name, setup, options, expected] of cases) {
    it(`blocks on ${name}`, async () => {
      const world = await webWorld();
      setup(world);
      const { blockers } = await inventoryOf(world, options);
      expect(blockers.join("\n")).toMatch(expected);
    });
  }

  it("warns (without blocking) about a stopped guest and a nodev address", async () => {
    const world = await webWorld();
    world.state.guestRunning = false;
    world.source.putFile("/etc/vservers/web1/interfaces/0/nodev", "");
    const { blockers, warnings, inventory } = await inventoryOf(world);
    expect(blockers).toEqual([]);
    expect(warnings).toEqual(expect.arrayContaining(["Guest is stopped", "198.18.10.21 stays on the VServer host"]));
    expect(inventory?.services).toEqual([]);
  });

  describe("a CTID taken on a resumed migration (new-user trial 10, finding 1)", () => {
    /** The inventory an earlier run journaled, read from the node before container 1001 existed. */
    const journaledInventory = async () => (await inventoryOf(await webWorld())).inventory;
    const takenNode = () => webWorld("fixtures/hosts/openvz-node-ctid-taken");

    it("still blocks when the journal chose the CTID but records making nothing there", async () => {
      const { blockers, notes } = await inventoryOf(await takenNode(), {}, { inventory: await journaledInventory() });
      expect(blockers).toEqual([
        "CTID 1001 is taken: /etc/vz/conf/1001.conf already exists on the OpenVZ node",
        "CTID 1001 is taken: /vz/private/1001 already exists on the OpenVZ node",
      ]);
      expect(notes).toEqual([]);
    });

    it("takes only what the journal records making for its own", async () => {
      const { blockers, notes } = await inventoryOf(
        await takenNode(),
        {},
        { inventory: await journaledInventory(), madeOnNode: ["/vz/private/1001"] },
      );
      expect(blockers).toEqual(["CTID 1001 is taken: /etc/vz/conf/1001.conf already exists on the OpenVZ node"]);
      expect(notes).toEqual([
        "/vz/private/1001 exists: this migration's own copy, made by an earlier run (its journal records it)",
      ]);
    });

    it("reads a journal written before madeOnNode: a finished copy made the private area, fix-ups followed the config", async () => {
      const inventory = await journaledInventory();
      const copied = await inventoryOf(await takenNode(), {}, { inventory, livePasses: [4096, 0] });
      expect(copied.blockers).toEqual(["CTID 1001 is taken: /etc/vz/conf/1001.conf already exists on the OpenVZ node"]);
      const fixedUp = await inventoryOf(
        await takenNode(),
        {},
        { inventory, fixups: { backupDir: "/root/mudanza-backup", applied: [] } },
      );
      expect(fixedUp.blockers).toEqual([]);
      expect(fixedUp.notes).toHaveLength(2);
    });

    it("keeps the stopped-guest warning when the journal's inventory found it stopped too", async () => {
      const world = await webWorld();
      world.state.guestRunning = false;
      const stoppedThen = (await inventoryOf(world)).inventory;
      expect((await inventoryOf(world, {}, { inventory: stoppedThen })).warnings).toContain("Guest is stopped");
      const ranThen = await journaledInventory();
      const resumed = await inventoryOf(world, {}, { inventory: ranThen });
      expect(resumed.warnings).not.toContain("Guest is stopped");
      expect(resumed.notes).toEqual([
        "web1 is stopped now; the start checks the services this migration recorded while it ran",
      ]);
    });
  });
});
