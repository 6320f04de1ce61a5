import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { link, mkdir, readdir, stat, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import { join, normalize, sep } from "node:path";
import { gzipSync } from "node:zlib";
import { runLocal } from "./local.js";

/**
 * A flat Debian repository ("deb [trusted=yes] URL ./") made of the .debs debootstrap downloaded, so
 * both lab hosts can `apt-get update/install` with no internet (the VM reinstalls its kernel from it).
 */
export async function buildAptRepo(repoDir: string, debDirs: string[]): Promise<number> {
  await mkdir(repoDir, { recursive: true });
  let count = 0;
  for (const dir of debDirs) {
    for (const name of await readdir(dir)) {
      if (!name.endsWith(".deb")) continue;
      // debootstrap stores epochs URL-encoded (1%3a2.5); a plain name avoids double decoding in apt URLs
      const plain = name.replace(/%3a/gi, "_");
      await link(join(dir, name), join(repoDir, plain)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "EEXIST") throw error;
      });
      count++;
    }
  }
  const packages = await runLocal(["dpkg-scanpackages", "--multiversion", ".", "/dev/null"], { cwd: repoDir });
  await writeRepoIndex(repoDir, packages, new Date());
  return count;
}

/** The index of a flat repository: Packages (dpkg-scanpackages' text), Packages.gz, and a Release with their sums. */
export async function writeRepoIndex(repoDir: string, packages: string, date: Date): Promise<void> {
  const packagesGz = gzipSync(Buffer.from(packages));
  await writeFile(join(repoDir, "Packages"), packages);
  await writeFile(join(repoDir, "Packages.gz"), packagesGz);
  const sums = [
    ["Packages", Buffer.from(packages)],
    ["Packages.gz", packagesGz],
  ] as const;
  const release = [
    "Origin: mudanza-lab",
    "Label: mudanza-lab",
    "Suite: lab",
    "Codename: lab",
    `Date: ${date.toUTCString()}`,
    "Architectures: amd64 all",
    "Description: packages debootstrap fetched for the mudanza lab",
    "SHA256:",
    ...sums.map(([name, data]) => ` ${createHash("sha256").update(data).digest("hex")} ${data.length} ${name}`),
    "",
  ].join("\n");
  await writeFile(join(repoDir, "Release"), release);
}

/** Serves repoDir read-only over HTTP on address:port; close() stops it. */
export async function serveAptRepo(
  repoDir: string,
  address: string,
  port: number,
): Promise<{ close: () => Promise<void>; requests: () => number }> {
  let requests = 0;
  const root = normalize(repoDir) + sep;
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405).end();
      return;
    }
    let path: string;
    try {
      path = normalize(join(root, decodeURIComponent(new URL(req.url ?? "/", "http://lab").pathname)));
    } catch {
      res.writeHead(400).end();
      return;
    }
    if (!path.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    stat(path)
      .then((s) => {
        if (!s.isFile()) throw new Error("not a file");
        res.writeHead(200, {
          "content-length": s.size,
          "content-type": "application/octet-stream",
          "last-modified": s.mtime.toUTCString(),
        });
        if (req.method === "HEAD") res.end();
        else createReadStream(path).pipe(res);
      })
      .catch(() => res.writeHead(404).end());
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => resolve());
  });
  return {
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
